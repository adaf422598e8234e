using System;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Tasks;
using Azure.Storage.Queues;
using SmtpOps.Messages;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// The relay signs with the certificate of its settings (Base64 PKCS#12, as a Key Vault reference hands it over) and
/// encrypts to its folder of recipients' certificates: a message enqueued in Azurite, sent to a recording server, decrypts
/// and verifies with openssl against the root CA alone.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelaySmimeTests : IDisposable
{
    private const string Sender = "billing@contoso.test";
    private const string Recipient = "customer@fabrikam.test";
    private readonly AzuriteFixture azurite;
    private readonly string queueName = $"smime{Guid.NewGuid():N}".Substring(0, 20);
    private readonly string folder = Directory.CreateTempSubdirectory("smtpops-relay-smime-").FullName;
    private readonly X509Certificate2 root = TestCertificates.CreateAuthority($"SmtpOps Relay S/MIME Root {Guid.NewGuid():N}");
    private readonly X509Certificate2 intermediate;
    private readonly X509Certificate2 signer;
    private readonly X509Certificate2 recipient;

    public RelaySmimeTests(AzuriteFixture azurite)
    {
        this.azurite = azurite;
        intermediate = TestCertificates.IssueIntermediateAuthority(root);
        signer = TestCertificates.IssueSmimeCertificate(intermediate, Sender);
        recipient = TestCertificates.IssueSmimeCertificate(intermediate, Recipient);
        File.WriteAllText(Path.Combine(folder, "ca.pem"), root.ExportCertificatePem() + "\n");
        Directory.CreateDirectory(Path.Combine(folder, "recipients"));
        File.WriteAllText(Path.Combine(folder, "recipients", Recipient + ".pem"), recipient.ExportCertificatePem() + "\n");
        using var key = recipient.GetRSAPrivateKey()!;
        File.WriteAllText(Path.Combine(folder, "recipient.key"), key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    public void Dispose()
    {
        foreach (var certificate in new[] { root, intermediate, signer, recipient })
        {
            certificate.Dispose();
        }

        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task SignedAndEncryptedThroughTheRelayDecryptsAndVerifiesWithOpenSsl()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail(Recipient));

        using var processor = RelayProcessor.Create(azurite.ConnectionString, Options(server));
        var outcome = await processor.ProcessAsync(await ReceiveAsync());

        Assert.True(outcome.Kind == RelayOutcomeKind.Sent, outcome.Detail);
        var received = Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain("nominal", Encoding.ASCII.GetString(received.Data));
        var message = Path.Combine(folder, "received.eml");
        File.WriteAllBytes(message, received.Data);
        var decrypted = await OpenSslTool.RunAsync("smime", "-decrypt", "-in", message, "-recip", Path.Combine(folder, "recipients", Recipient + ".pem"), "-inkey", Path.Combine(folder, "recipient.key"));
        Assert.True(decrypted.ExitCode == 0, decrypted.Error);
        Assert.Contains("multipart/signed", decrypted.Output, StringComparison.OrdinalIgnoreCase);
        var inner = Path.Combine(folder, "inner.eml");
        File.WriteAllText(inner, decrypted.Output);
        var verified = await OpenSslTool.RunAsync("smime", "-verify", "-in", inner, "-CAfile", Path.Combine(folder, "ca.pem"));
        Assert.True(verified.ExitCode == 0, verified.Error);
        Assert.Contains("All systems nominal.", verified.Output);
    }

    [Fact]
    public async Task ARecipientWithoutCertificateIsDeadLetteredByNameAndNothingIsSent()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail(Recipient, "stranger@fabrikam.test"));

        using var processor = RelayProcessor.Create(azurite.ConnectionString, Options(server));
        var outcome = await processor.ProcessAsync(await ReceiveAsync());

        Assert.Equal(RelayOutcomeKind.DeadLettered, outcome.Kind);
        Assert.Contains("stranger@fabrikam.test", outcome.Detail);
        Assert.DoesNotContain(Recipient + ",", outcome.Detail);
        Assert.Empty(server.Messages);
    }

    private RelayProcessorOptions Options(TestSmtpServer server)
    {
        // What App Service puts into the setting for a Key Vault reference to a certificate's secret: Base64 PKCS#12.
        var pfx = new X509Certificate2Collection { signer, X509CertificateLoader.LoadCertificate(intermediate.RawData) }.Export(X509ContentType.Pkcs12)!;
        var settings = new RelaySettings
        {
            QueueName = queueName,
            Smarthost = new SmarthostSettings { Host = "127.0.0.1", Port = server.Port },
            Smime = new SmimeSettings { Certificate = Convert.ToBase64String(pfx), RecipientCertificates = Path.Combine(folder, "recipients") },
        };
        Assert.DoesNotContain(settings.Validate(), problem => problem.Contains("Smime", StringComparison.Ordinal));
        return new RelayProcessorOptions
        {
            QueueName = queueName,
            Smarthost = new SmtpConnectionOptions { Host = "127.0.0.1", Port = server.Port, Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None }, Retry = RetryPolicy.None, Timeout = TimeSpan.FromSeconds(10) },
            Policy = new RelayPolicy { AllowedSenders = new[] { "contoso.test" } },
            ClaimLease = TimeSpan.FromSeconds(30),
            Smime = settings.Smime.ToOptions(),
        };
    }

    private static MailMessageDefinition Mail(params string[] to) => new()
    {
        From = "Billing <" + Sender + ">",
        To = to,
        Subject = "Statement",
        TextBody = "All systems nominal.",
    };

    private async Task<RelayDelivery> ReceiveAsync()
    {
        var queue = new QueueClient(azurite.ConnectionString, queueName, RelayStorage.QueueOptions());
        var message = (await queue.ReceiveMessageAsync()).Value ?? throw new InvalidOperationException("The queue is empty.");
        return new RelayDelivery { QueueMessageId = message.MessageId, Text = message.Body.ToString(), DequeueCount = message.DequeueCount };
    }
}
