using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MimeKit;
using SmtpOps.Messages;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// The two losses of issue #13 (a dead-letter record that expired after 7 days, a dead-lettered message that lost its
/// claim-check blobs) and RelayQueueInspector on real dead letters made by RelayProcessor (Azurite, SMTP on 127.0.0.1).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelayQueueInspectorTests : IDisposable
{
    private readonly AzuriteFixture azurite;
    private readonly string queueName = $"insp{Guid.NewGuid():N}".Substring(0, 20);
    private readonly string folder = Directory.CreateTempSubdirectory("smtpops-inspector-").FullName;

    public RelayQueueInspectorTests(AzuriteFixture azurite) => this.azurite = azurite;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private QueueClient Queue => new(azurite.ConnectionString, queueName, RelayStorage.QueueOptions());

    private BlobContainerClient Blobs => new(azurite.ConnectionString, RelayStorage.AttachmentContainerName(queueName));

    private SmtpRelayClient Client => SmtpRelayClient.Create(azurite.ConnectionString, queueName);

    private RelayQueueInspector Inspector => RelayQueueInspector.Create(azurite.ConnectionString, queueName);

    private RelayProcessor Processor(TestSmtpServer server) => RelayProcessor.Create(
        azurite.ConnectionString,
        new RelayProcessorOptions
        {
            QueueName = queueName,
            Smarthost = new SmtpConnectionOptions { Host = "127.0.0.1", Port = server.Port, Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None }, Retry = RetryPolicy.None, Timeout = TimeSpan.FromSeconds(10) },
            Policy = new RelayPolicy { AllowedSenders = new[] { "contoso.test" } },
            RetryDelay = TimeSpan.FromSeconds(2),
            ClaimLease = TimeSpan.FromSeconds(30),
        });

    private static MailMessageDefinition Mail(string subject, params MailAttachment[] attachments) => new()
    {
        From = "billing@contoso.test",
        To = new[] { "customer@fabrikam.test" },
        Subject = subject,
        TextBody = "Your invoice is attached.",
        Attachments = attachments,
    };

    private async Task<RelayOutcome> ProcessNextAsync(RelayProcessor processor)
    {
        var message = (await Queue.ReceiveMessageAsync()).Value ?? throw new InvalidOperationException("The queue is empty.");
        var outcome = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = message.MessageId, Text = message.Body.ToString(), DequeueCount = message.DequeueCount });
        if (outcome.Kind is not RelayOutcomeKind.Retry)
        {
            await Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }

        return outcome;
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
    public async Task RemovingAFailureThatNamesForeignBlobsDeletesNothingOutsideTheContainer()
    {
        // A failure object as an operator's pipeline could carry it, naming blobs of another container of the account.
        var victim = new BlobContainerClient(azurite.ConnectionString, $"victim{Guid.NewGuid():N}"[..20]);
        await victim.CreateAsync();
        await victim.GetBlobClient("keys.json").UploadAsync(BinaryData.FromString("keys"));
        await victim.GetBlobClient("copy.txt").UploadAsync(BinaryData.FromString("copy"));
        await Client.EnqueueAsync(Mail("Refused") with { From = "ceo@evil.test" });
        await using (var server = await TestSmtpServer.StartAsync(new()))
        using (var processor = Processor(server))
        {
            Assert.Equal(RelayOutcomeKind.DeadLettered, (await ProcessNextAsync(processor)).Kind);
        }

        var real = Assert.Single(await Inspector.GetFailuresAsync());
        var forged = new RelayFailure
        {
            Queue = real.Queue,
            Kind = real.Kind,
            RecordQueue = real.RecordQueue,
            RecordId = real.RecordId,
            EnvelopeId = "..",
            Blobs = [$"../{victim.Name}/keys.json", $"{victim.Uri}/keys.json"],
            OriginalMessageBlob = $"failed/../../{victim.Name}/copy.txt",
        };

        var deleted = await Inspector.RemoveAsync(forged);

        Assert.Empty(deleted);
        Assert.Equal(["copy.txt", "keys.json"], victim.GetBlobs().Select(b => b.Name).OrderBy(n => n));
        Assert.Empty(await Inspector.GetFailuresAsync());
    }

    [Fact]
    public async Task ADeadLetteredMessageKeepsItsBlobsAndItsRecordNeverExpiresThenItIsResentOnceByteIdentical()
    {
        var path = File("report.bin", 300 * 1024);
        var queued = await Client.EnqueueAsync(Mail("Report", new MailAttachment(path)));
        Assert.Equal(1, queued.BlobCount);
        await using (var refusing = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { "customer@fabrikam.test" } }))
        using (var processor = Processor(refusing))
        {
            Assert.Equal(RelayOutcomeKind.DeadLettered, (await ProcessNextAsync(processor)).Kind);
        }

        // As Storage reports it: a record sent with timeToLive -1 expires "never" (9999-12-31), not 7 days later.
        var peeked = Assert.Single((await new QueueClient(azurite.ConnectionString, RelayStorage.FailedQueueName(queueName)).PeekMessagesAsync(32)).Value);
        Assert.Equal(9999, peeked.ExpiresOn!.Value.Year);
        Assert.True(peeked.ExpiresOn > DateTimeOffset.UtcNow.AddDays(8));
        Assert.Single(Blobs.GetBlobs());

        var failure = Assert.Single(await Inspector.GetFailuresAsync());
        Assert.Equal("Smtp", failure.Kind);
        Assert.Equal(550, failure.StatusCode);
        Assert.Equal(queued.MessageId, failure.MessageId);
        Assert.True(failure.NeverExpires);
        Assert.Equal(Blobs.GetBlobs().Select(b => b.Name), failure.Blobs);

        var resent = await Inspector.ResendAsync(failure);
        Assert.Equal(queued.MessageId, resent.MessageId);
        Assert.Empty(await Inspector.GetFailuresAsync());
        await using var accepting = await TestSmtpServer.StartAsync(new());
        using (var processor = Processor(accepting))
        {
            Assert.Equal(RelayOutcomeKind.Sent, (await ProcessNextAsync(processor)).Kind);
        }

        using var message = MimeMessage.Load(new MemoryStream(Assert.Single(await accepting.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Data));
        using var decoded = new MemoryStream();
        Assert.IsType<MimePart>(message.Attachments.Single()).Content!.DecodeTo(decoded);
        Assert.Equal(System.IO.File.ReadAllBytes(path), decoded.ToArray());
        Assert.Empty(Blobs.GetBlobs());
        var sent = Assert.Single(await Inspector.FindAsync(queued.MessageId));
        Assert.Equal(RelayMessageState.Sent, sent.State);
        Assert.Equal(queued.MessageId, sent.MessageId);

        // The same failure re-sent later (a second operator, a pipeline run twice): its record is gone, and that is what
        // it is told; not that a claim-check blob is missing and the mail should be sent again from its source.
        var stale = await Assert.ThrowsAsync<RelayInspectionException>(() => Inspector.ResendAsync(failure));
        Assert.Equal(RelayInspectionError.FailureNotFound, stale.Error);
    }

    [Fact]
    public async Task ResendIsRefusedWhenTheLedgerSaysSentUnlessForcedAndRemoveDeletesOnlyItsRecordAndBlobs()
    {
        await using var refusing = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { "customer@fabrikam.test" } });
        await using var accepting = await TestSmtpServer.StartAsync(new());
        var first = await Client.EnqueueAsync(Mail("First", new MailAttachment(File("a.bin", 100 * 1024))), idempotencyKey: "invoice-42");
        var other = await Client.EnqueueAsync(Mail("Other", new MailAttachment(File("b.bin", 100 * 1024))));
        using (var processor = Processor(refusing))
        {
            await ProcessNextAsync(processor);
            await ProcessNextAsync(processor);
        }

        await Client.EnqueueAsync(Mail("First again"), idempotencyKey: "invoice-42");
        using (var processor = Processor(accepting))
        {
            Assert.Equal(RelayOutcomeKind.Sent, (await ProcessNextAsync(processor)).Kind);
        }

        var failures = await Inspector.GetFailuresAsync();
        Assert.Equal(2, failures.Count);
        var sentAlready = failures.Single(f => f.MessageId == first.MessageId);
        var refused = await Assert.ThrowsAsync<RelayInspectionException>(() => Inspector.ResendAsync(sentAlready));
        Assert.Equal(RelayInspectionError.AlreadySent, refused.Error);
        Assert.Equal(2, (await Inspector.GetFailuresAsync()).Count);
        Assert.Equal(2, Blobs.GetBlobs().Count());

        var removedBlobs = await Inspector.RemoveAsync(failures.Single(f => f.MessageId == other.MessageId));
        Assert.Single(removedBlobs);
        Assert.Equal(sentAlready.Blobs, Blobs.GetBlobs().Select(b => b.Name));
        var again = await Assert.ThrowsAsync<RelayInspectionException>(() => Inspector.RemoveAsync(failures.Single(f => f.MessageId == other.MessageId)));
        Assert.Equal(RelayInspectionError.FailureNotFound, again.Error);

        var forced = await Inspector.ResendAsync(sentAlready, force: true);
        Assert.Equal("invoice-42", forced.IdempotencyKey);
        var waiting = Assert.Single(await Inspector.FindAsync("invoice-42"));
        Assert.Equal(RelayMessageState.Waiting, waiting.State);
        var status = await Inspector.GetStatusAsync();
        Assert.Equal((1, 0, 0, 1), (status.Waiting, status.DeadLettered, status.Poison, status.Blobs));
    }

    [Fact]
    public async Task AnUnknownQueueIsNotFoundAndNothingIsCreated()
    {
        var inspector = RelayQueueInspector.Create(azurite.ConnectionString, "nosuchqueue" + Guid.NewGuid().ToString("N").Substring(0, 8));
        var error = await Assert.ThrowsAsync<RelayStorageException>(() => inspector.GetStatusAsync());
        Assert.Equal(RelayStorageFailureKind.NotFound, error.Kind);
        Assert.Contains("does not exist", error.Message);
        Assert.False((await new QueueClient(azurite.ConnectionString, inspector.QueueName).ExistsAsync()).Value);
    }

    [Fact]
    public async Task MoreThan32RecordsAreAllReadAndLeftVisible()
    {
        // Storage peeks at most 32 messages: beyond that the inspector receives them and makes them visible again.
        await using var server = await TestSmtpServer.StartAsync(new());
        using var processor = Processor(server);
        for (var i = 0; i < 40; i++)
        {
            await Client.EnqueueAsync(Mail($"Not ours {i}") with { From = "someone@fabrikam.test" });
            Assert.Equal(RelayOutcomeKind.DeadLettered, (await ProcessNextAsync(processor)).Kind);
        }

        var failures = await Inspector.GetFailuresAsync(new RelayFailureFilter { Kinds = new[] { "Policy" } });

        Assert.Equal(40, failures.Select(f => f.RecordId).Distinct().Count());
        Assert.All(failures, f => Assert.True(f.NeverExpires));
        Assert.Equal(32, (await new QueueClient(azurite.ConnectionString, RelayStorage.FailedQueueName(queueName)).PeekMessagesAsync(32)).Value.Length);
        Assert.Empty(await Inspector.GetFailuresAsync(new RelayFailureFilter { Kinds = new[] { "Smtp" } }));
        Assert.Equal(40, (await Inspector.GetStatusAsync()).DeadLettered);
    }

    [Fact]
    public async Task AMessageWhoseKeyIsClaimedAndNotVisibleIsSending()
    {
        var queued = await Client.EnqueueAsync(Mail("In flight"));
        await Queue.ReceiveMessageAsync(TimeSpan.FromMinutes(1));
        var ledger = new IdempotencyLedger(new Azure.Data.Tables.TableClient(azurite.ConnectionString, RelayStorage.LedgerTableName(queueName)), TimeSpan.FromMinutes(10));
        Assert.Equal(LedgerClaim.Claimed, await ledger.ClaimAsync("billing@contoso.test", queued.IdempotencyKey, default));

        var found = Assert.Single(await Inspector.FindAsync($"<{queued.MessageId}>"));

        Assert.Equal(RelayMessageState.Sending, found.State);
        Assert.Equal(queued.IdempotencyKey, found.IdempotencyKey);
        Assert.Equal(RelayMessageState.Unknown, Assert.Single(await Inspector.FindAsync("nobody@contoso.test")).State);
    }
}
