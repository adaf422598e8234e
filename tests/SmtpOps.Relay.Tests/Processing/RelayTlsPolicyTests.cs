using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Azure.Storage.Queues;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Relay.Tests.Processing.RelayTestQueue;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// The relay's smarthost behind certificates from a private CA that this process trusts through the system's root
/// store (the test run starts it with SSL_CERT_FILE; see TestTrustStore): no pins, the TLS policy as the relay uses it.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelayTlsPolicyTests
{
    private const string Password = "Smarthost-S3cret!";
    private static readonly Dictionary<string, string> Users = new() { ["relay"] = Password };
    private readonly RelayTestQueue relay;

    public RelayTlsPolicyTests(AzuriteFixture azurite) => relay = new RelayTestQueue(azurite, "tls");

    private static X509Certificate2 Leaf(X509Certificate2 authority, string? crlUrl = null)
        => TestCertificates.IssueServerCertificate(authority, ["localhost", "127.0.0.1"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90), crlUrl);

    private RelayProcessor Processor(TestSmtpServer server, ListLogger logger, CertificateRevocationMode revocation = CertificateRevocationMode.SoftFail) => relay.Processor(
        relay.Options(
            Smarthost(server.Port) with
            {
                Tls = new SmtpTlsPolicy { Security = SmtpSecurity.StartTls, RevocationMode = revocation },
                Credential = SmtpCredential.FromPassword("relay", Password),
            },
            maxAttempts: 2,
            retryDelay: TimeSpan.FromSeconds(1)),
        logger);

    private async Task<RelayDelivery> EnqueueAndReceiveAsync(string subject)
    {
        await relay.Client.EnqueueAsync(Mail(subject));
        return await relay.ReceiveAsync();
    }

    private static int CertificateWarnings(ListLogger logger) => logger.Lines.Count(l => l.StartsWith("Warning: The smarthost's certificate", StringComparison.Ordinal));

    [Fact]
    public async Task APrivateCaCertificateWithoutCrlIsTrustedAndItsUnknownRevocationLoggedOncePerInstance()
    {
        using var authority = TestTrustStore.LoadTrusted();
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = Leaf(authority), Users = Users });
        var logger = new ListLogger();
        using var processor = Processor(server, logger);

        var first = await processor.ProcessAsync(await EnqueueAndReceiveAsync("one"));
        var second = await processor.ProcessAsync(await EnqueueAndReceiveAsync("two"));

        Assert.Equal(RelayOutcomeKind.Sent, first.Kind);
        Assert.Equal(RelayOutcomeKind.Sent, second.Kind);
        Assert.Equal(2, server.Messages.Count);
        Assert.Equal(1, CertificateWarnings(logger));
        Assert.Contains(logger.Lines, l => l.Contains("revocation status unknown: it names no CRL distribution point", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARevokedCertificateIsRetriedThenDeadLetteredWithWhatToFix()
    {
        using var authority = TestTrustStore.LoadTrusted();
        await using var crl = CrlServer.Start();
        var leaf = Leaf(authority, crl.Url);
        crl.Publish(TestCertificates.CreateRevocationList(authority, leaf));
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = leaf, Users = Users });
        using var processor = Processor(server, new ListLogger());
        var delivery = await EnqueueAndReceiveAsync("revoked");

        var first = await processor.ProcessAsync(delivery);
        var last = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = delivery.QueueMessageId, Text = delivery.Text, DequeueCount = 2 });

        Assert.Equal(RelayOutcomeKind.Retry, first.Kind);
        Assert.Contains("revoked by its issuer", first.Detail, StringComparison.Ordinal);
        Assert.Equal(RelayOutcomeKind.DeadLettered, last.Kind);
        var record = RelayEnvelopeFormat.DeserializeRecord((await new QueueClient(relay.ConnectionString, RelayStorage.FailedQueueName(relay.Name), RelayStorage.QueueOptions()).ReceiveMessageAsync()).Value.Body.ToString());
        Assert.Equal("GaveUp", record.Kind);
        Assert.Contains("revoked by its issuer", record.Reason, StringComparison.Ordinal);
        Assert.Contains("Relay:Smarthost:CertificateThumbprints", record.Reason, StringComparison.Ordinal);
        Assert.Empty(server.Messages);
        Assert.True(crl.Downloads >= 1);
    }

    [Theory]
    [InlineData(CertificateRevocationMode.SoftFail, RelayOutcomeKind.Sent)]
    [InlineData(CertificateRevocationMode.Strict, RelayOutcomeKind.Retry)]
    public async Task AnUnreachableCrlIsAcceptedBySoftFailAndRetriedUnderStrict(CertificateRevocationMode revocation, RelayOutcomeKind expected)
    {
        using var authority = TestTrustStore.LoadTrusted();
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = Leaf(authority, CrlServer.UnreachableUrl()), Users = Users });
        var logger = new ListLogger();
        using var processor = Processor(server, logger, revocation);

        var outcome = await processor.ProcessAsync(await EnqueueAndReceiveAsync("offline CRL"));

        Assert.Equal(expected, outcome.Kind);
        if (expected == RelayOutcomeKind.Sent)
        {
            Assert.Equal(1, CertificateWarnings(logger));
        }
        else
        {
            Assert.Contains("the revocation mode is Strict", outcome.Detail, StringComparison.Ordinal);
            Assert.Contains("Relay:Smarthost:RevocationMode", outcome.Detail, StringComparison.Ordinal);
        }
    }
}
