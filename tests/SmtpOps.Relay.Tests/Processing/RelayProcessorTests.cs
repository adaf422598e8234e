using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MimeKit;
using SmtpOps.Messages;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Relay.Tests.Processing.RelayTestQueue;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>RelayProcessor on real queue messages from Azurite, submitting to real SMTP servers on 127.0.0.1.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelayProcessorTests : IDisposable
{
    private const string Password = "Smarthost-S3cret!";
    private readonly RelayTestQueue relay;
    private readonly string folder = Directory.CreateTempSubdirectory("smtpops-relay-").FullName;

    public RelayProcessorTests(AzuriteFixture azurite) => relay = new RelayTestQueue(azurite, "relay");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private RelayProcessor Processor(TestSmtpServer server, ListLogger? logger = null, int maxAttempts = 5) => relay.Processor(Options(server, maxAttempts), logger);

    /// <summary>The relay's options towards <paramref name="server"/>: STARTTLS with AUTH when it has a certificate (pinned), plain otherwise.</summary>
    private RelayProcessorOptions Options(TestSmtpServer server, int maxAttempts = 5, int smtpPort = 0) => relay.Options(
        Smarthost(smtpPort == 0 ? server.Port : smtpPort) with
        {
            Tls = new SmtpTlsPolicy
            {
                Security = server.Certificate is null ? SmtpSecurity.None : SmtpSecurity.StartTls,
                CertificateThumbprints = server.Certificate is null ? Array.Empty<string>() : new[] { server.Certificate.Thumbprint },
            },
            Credential = server.Certificate is null ? null : SmtpCredential.FromPassword("relay", Password),
        },
        maxAttempts);

    private async Task<DeadLetterRecord> FailedRecordAsync()
    {
        var message = (await relay.FailedQueue.ReceiveMessageAsync()).Value ?? throw new InvalidOperationException("No dead-letter record.");
        return RelayEnvelopeFormat.DeserializeRecord(message.Body.ToString());
    }

    private string File(string name, int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        var path = Path.Combine(folder, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task A403OnAClaimCheckBlobIsRetriedAndHoldsNoClaim()
    {
        // The relay's identity may read the queue but not (yet) the container's blobs: a container SAS without Read.
        await using var server = await TestSmtpServer.StartAsync(new());
        var queued = await relay.Client.EnqueueAsync(Mail("Report", MailAttachment.FromStream("report.bin", () => new MemoryStream(new byte[80_000]))));
        var withoutRead = new BlobContainerClient(relay.Blobs.GenerateSasUri(Azure.Storage.Sas.BlobContainerSasPermissions.List | Azure.Storage.Sas.BlobContainerSasPermissions.Write | Azure.Storage.Sas.BlobContainerSasPermissions.Delete, DateTimeOffset.UtcNow.AddHours(1)));
        var delivery = await relay.ReceiveAsync();
        using (var refused = new RelayProcessor(Options(server), withoutRead, relay.FailedQueue, relay.Ledger))
        {
            var outcome = await refused.ProcessAsync(delivery);

            Assert.Equal(RelayOutcomeKind.Retry, outcome.Kind);
            Assert.Equal(RelayDecision.StorageReason, outcome.RetryReason);
            Assert.Contains("403", outcome.Detail);
        }

        // Once the role is granted, the next delivery sends: nothing holds its key.
        using var processor = Processor(server);
        Assert.Equal(RelayOutcomeKind.Sent, (await processor.ProcessAsync(new RelayDelivery { QueueMessageId = delivery.QueueMessageId, Text = delivery.Text, DequeueCount = 2 })).Kind);
        Assert.Equal(1, queued.BlobCount);
        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task ADeliveryCancelledWhileSendingReleasesItsClaim()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        await using var stalled = PausableProxy.Start(server.Port);
        stalled.Pause();
        var queued = await relay.Client.EnqueueAsync(Mail());
        var delivery = await relay.ReceiveAsync();
        using var processor = RelayProcessor.Create(relay.ConnectionString, Options(server, smtpPort: stalled.Port));
        using var stopping = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(2));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => processor.ProcessAsync(delivery, stopping.Token));

        Assert.Equal(LedgerClaim.Claimed, await relay.Ledger.ClaimAsync("billing@contoso.test", queued.IdempotencyKey, default));
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task QueueMessagesAreBase64EncodedJsonEnvelopes()
    {
        var queued = await relay.Client.EnqueueAsync(Mail());

        var raw = new QueueClient(relay.ConnectionString, relay.Name);
        var text = (await raw.PeekMessageAsync()).Value.Body.ToString();
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(text));

        Assert.Contains("\"schemaVersion\":1", json);
        Assert.Contains(queued.MessageId, json);
        Assert.Equal(0, queued.BlobCount);
        Assert.Equal("Queued", queued.Status);
    }

    [Fact]
    public async Task MessageIsDeliveredOnceAndARedeliveryIsADuplicate()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var processor = Processor(server);
        var queued = await relay.Client.EnqueueAsync(Mail());
        var delivery = await relay.ReceiveAsync();

        var first = await processor.ProcessAsync(delivery);
        var again = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = delivery.QueueMessageId, Text = delivery.Text, DequeueCount = 2 });

        Assert.Equal(RelayOutcomeKind.Sent, first.Kind);
        Assert.Equal(RelayOutcomeKind.Duplicate, again.Kind);
        var received = Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Contains($"<{queued.MessageId}>", Encoding.UTF8.GetString(received.Data));
        Assert.Equal(queued.MessageId, first.MessageId);
    }

    [Fact]
    public async Task LargeAttachmentTravelsAsAClaimCheckAndTheBlobIsDeletedAfterSending()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var processor = Processor(server);
        var path = File("report.bin", 300 * 1024);

        var queued = await relay.Client.EnqueueAsync(Mail("Report", new MailAttachment(path)));
        Assert.Equal(1, queued.BlobCount);
        Assert.True(queued.QueueMessageBytes < RelayEnvelopeFormat.MaxQueuePayloadBytes);
        Assert.Single(relay.Blobs.GetBlobs());

        var outcome = await processor.ProcessAsync(await relay.ReceiveAsync());

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        using var message = MimeMessage.Load(new MemoryStream(Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Data));
        var part = Assert.IsType<MimePart>(message.Attachments.Single());
        using var decoded = new MemoryStream();
        part.Content!.DecodeTo(decoded);
        Assert.Equal(System.IO.File.ReadAllBytes(path), decoded.ToArray());
        Assert.Empty(relay.Blobs.GetBlobs());
    }

    [Fact]
    public async Task BodyTooLargeForTheQueueMovesTheWholeEnvelopeToABlob()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var processor = Processor(server);
        var html = "<table>" + string.Concat(Enumerable.Range(0, 4000).Select(i => $"<tr><td>{i}</td><td>row {i}</td></tr>")) + "</table>";

        var queued = await relay.Client.EnqueueAsync(Mail() with { HtmlBody = html });
        Assert.True(queued.BlobCount >= 1);

        var outcome = await processor.ProcessAsync(await relay.ReceiveAsync());

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        using var message = MimeMessage.Load(new MemoryStream((await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Data));
        Assert.Equal(html, message.HtmlBody);
        Assert.Empty(relay.Blobs.GetBlobs());
    }

    [Fact]
    public async Task A451AsksForARetryAndTheNextDeliverySends()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { FailDataTimes = 1 });
        using var processor = Processor(server);
        await relay.Client.EnqueueAsync(Mail());
        var delivery = await relay.ReceiveAsync();

        var first = await processor.ProcessAsync(delivery);
        var second = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = delivery.QueueMessageId, Text = delivery.Text, DequeueCount = 2 });

        Assert.Equal(RelayOutcomeKind.Retry, first.Kind);
        Assert.Equal(451, first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), first.RetryAfter);
        Assert.Equal(RelayOutcomeKind.Sent, second.Kind);
        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A432IsThrottlingRetriedWithTheBackoffLoggedAndTheConnectionsLowered()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { FailDataTimes = 1, FailDataReply = (432, "4.3.2 Concurrent connections limit exceeded") });
        var logger = new ListLogger();
        using var processor = Processor(server, logger);
        Assert.Equal(3, processor.ConnectionLimit);
        await relay.Client.EnqueueAsync(Mail());
        var delivery = await relay.ReceiveAsync();

        var first = await processor.ProcessAsync(delivery);

        Assert.Equal(RelayOutcomeKind.Retry, first.Kind);
        Assert.Equal(432, first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), first.RetryAfter);
        Assert.StartsWith("Throttled", first.Detail, StringComparison.Ordinal);
        Assert.Equal(2, processor.ConnectionLimit);
        Assert.Contains(logger.Lines, line => line.StartsWith("Warning:", StringComparison.Ordinal) && line.Contains("is throttling (432)", StringComparison.Ordinal) && line.Contains("connections lowered to 2", StringComparison.Ordinal));

        var second = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = delivery.QueueMessageId, Text = delivery.Text, DequeueCount = 2 });
        Assert.Equal(RelayOutcomeKind.Sent, second.Kind);
        Assert.Equal(2, processor.ConnectionLimit);
        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A550IsDeadLetteredWithTheReasonAndNotRetried()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { "customer@fabrikam.test" } });
        using var processor = Processor(server);
        var queued = await relay.Client.EnqueueAsync(Mail());
        var delivery = await relay.ReceiveAsync();

        var outcome = await processor.ProcessAsync(delivery);

        Assert.Equal(RelayOutcomeKind.DeadLettered, outcome.Kind);
        Assert.Equal(550, outcome.StatusCode);
        var record = await FailedRecordAsync();
        Assert.Equal("Smtp", record.Kind);
        Assert.Equal(550, record.StatusCode);
        Assert.Equal(queued.MessageId, record.MessageId);
        Assert.Equal(delivery.Text, record.OriginalMessage);
        Assert.Contains("customer@fabrikam.test", record.Reason);
    }

    [Fact]
    public async Task ADeadLetterRecordNeverExpiresAndItsMessageKeepsItsBlobsSoItCanBeSentAgain()
    {
        var path = File("ledger.xlsx", 300 * 1024);
        await using (var refusing = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { "customer@fabrikam.test" } }))
        {
            using var processor = Processor(refusing);
            await relay.Client.EnqueueAsync(Mail("Report", new MailAttachment(path)));
            Assert.Equal(RelayOutcomeKind.DeadLettered, (await processor.ProcessAsync(await relay.ReceiveAsync())).Kind);
        }

        // Storage reports "never" as the end of 9999 (to the second); the default would be 7 days from now.
        var peeked = (await relay.FailedQueue.PeekMessageAsync()).Value;
        Assert.Equal(9999, peeked.ExpiresOn!.Value.Year);
        Assert.Single(relay.Blobs.GetBlobs());

        // The documented recovery: the record's original envelope back on the queue, once the server accepts.
        var record = await FailedRecordAsync();
        await relay.Queue.SendMessageAsync(record.OriginalMessage);
        await using var accepting = await TestSmtpServer.StartAsync(new());
        using var again = Processor(accepting);
        var outcome = await again.ProcessAsync(await relay.ReceiveAsync());

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        var sent = Assert.Single(await accepting.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        using var mime = MimeMessage.Load(new MemoryStream(sent.Data));
        var attachment = Assert.Single(mime.Attachments.OfType<MimePart>());
        using var content = new MemoryStream();
        attachment.Content!.DecodeTo(content);
        Assert.Equal(System.IO.File.ReadAllBytes(path), content.ToArray());
        Assert.Empty(relay.Blobs.GetBlobs());
    }

    [Fact]
    public async Task TransientFailuresAreDeadLetteredAfterTheLastAttempt()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { FailDataTimes = 100 });
        using var processor = Processor(server, maxAttempts: 3);
        await relay.Client.EnqueueAsync(Mail());
        var delivery = await relay.ReceiveAsync();

        var outcome = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = delivery.QueueMessageId, Text = delivery.Text, DequeueCount = 3 });

        Assert.Equal(RelayOutcomeKind.DeadLettered, outcome.Kind);
        Assert.Equal("GaveUp", (await FailedRecordAsync()).Kind);
    }

    [Theory]
    [InlineData("this is not json", "Envelope", "not JSON")]
    [InlineData("{\"schemaVersion\":7,\"id\":\"x\",\"idempotencyKey\":\"k\"}", "Envelope", "version 7")]
    [InlineData("{\"schemaVersion\":1,\"id\":\"x\",\"idempotencyKey\":\"k1\",\"from\":\"ceo@contoso-evil.test\",\"to\":[\"a@b.test\"],\"subject\":\"s\"}", "Policy", "allow-list")]
    [InlineData("{\"schemaVersion\":1,\"id\":\"x\",\"idempotencyKey\":\"k2\",\"from\":\"billing@contoso.test\",\"to\":[\"a@b.test\"],\"subject\":\"s\\r\\nBcc: victim@evil.test\"}", "Message", "HeaderInjection")]
    public async Task BadMessagesAreDeadLetteredAndTheRelayGoesOn(string text, string kind, string reason)
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var processor = Processor(server);
        await relay.Queue.CreateIfNotExistsAsync();
        await relay.Queue.SendMessageAsync(text);
        await relay.Client.EnqueueAsync(Mail("After the bad one"));

        var bad = await processor.ProcessAsync(await relay.ReceiveAsync());
        var good = await processor.ProcessAsync(await relay.ReceiveAsync());

        Assert.Equal(RelayOutcomeKind.DeadLettered, bad.Kind);
        var record = await FailedRecordAsync();
        Assert.Equal(kind, record.Kind);
        Assert.Contains(reason, record.Reason);
        Assert.Equal(text, record.OriginalMessage);
        Assert.Equal(RelayOutcomeKind.Sent, good.Kind);
        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task DebugLogsCarryTheTranscriptButNoSecret()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Users = new Dictionary<string, string> { ["relay"] = Password } });
        var logger = new ListLogger();
        using var processor = Processor(server, logger);
        await relay.Client.EnqueueAsync(Mail());

        var outcome = await processor.ProcessAsync(await relay.ReceiveAsync());

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        Assert.Contains(logger.Lines, l => l.Contains("AUTH", StringComparison.Ordinal) && l.StartsWith("Debug", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.StartsWith("Information", StringComparison.Ordinal) && l.Contains("Sent", StringComparison.Ordinal));
        var secrets = new[] { Password, Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0relay\0{Password}")), Convert.ToBase64String(Encoding.UTF8.GetBytes(Password)) };
        Assert.DoesNotContain(logger.Lines, l => secrets.Any(s => l.Contains(s, StringComparison.Ordinal)));
    }
}
