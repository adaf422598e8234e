using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MimeKit;
using SmtpOps.Messages;
using SmtpOps.Relay.Processing;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Relay.Tests.Processing.RelayTestQueue;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// The two losses of issue #13 (a dead-letter record that expired after 7 days, a dead-lettered message that lost its
/// claim-check blobs) and RelayQueueInspector on real dead letters made by RelayProcessor (Azurite, SMTP on 127.0.0.1).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelayQueueInspectorTests : IDisposable
{
    private readonly RelayTestQueue relay;
    private readonly string folder = Directory.CreateTempSubdirectory("smtpops-inspector-").FullName;

    public RelayQueueInspectorTests(AzuriteFixture azurite) => relay = new RelayTestQueue(azurite, "insp");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private RelayProcessor Processor(TestSmtpServer server) => relay.Processor(relay.Options(Smarthost(server.Port)));

    private async Task<RelayOutcome> ProcessNextAsync(RelayProcessor processor)
    {
        var message = (await relay.Queue.ReceiveMessageAsync()).Value ?? throw new InvalidOperationException("The queue is empty.");
        var outcome = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = message.MessageId, Text = message.Body.ToString(), DequeueCount = message.DequeueCount });
        if (outcome.Kind is not RelayOutcomeKind.Retry)
        {
            await relay.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
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
        var victim = new BlobContainerClient(relay.ConnectionString, $"victim{Guid.NewGuid():N}"[..20]);
        await victim.CreateAsync();
        await victim.GetBlobClient("keys.json").UploadAsync(BinaryData.FromString("keys"));
        await victim.GetBlobClient("copy.txt").UploadAsync(BinaryData.FromString("copy"));
        await relay.Client.EnqueueAsync(Mail("Refused") with { From = "ceo@evil.test" });
        await using (var server = await TestSmtpServer.StartAsync(new()))
        using (var processor = Processor(server))
        {
            Assert.Equal(RelayOutcomeKind.DeadLettered, (await ProcessNextAsync(processor)).Kind);
        }

        var real = Assert.Single(await relay.Inspector.GetFailuresAsync());
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

        var deleted = await relay.Inspector.RemoveAsync(forged);

        Assert.Empty(deleted);
        Assert.Equal(["copy.txt", "keys.json"], victim.GetBlobs().Select(b => b.Name).OrderBy(n => n));
        Assert.Empty(await relay.Inspector.GetFailuresAsync());
    }

    [Fact]
    public async Task ADeadLetteredMessageKeepsItsBlobsAndItsRecordNeverExpiresThenItIsResentOnceByteIdentical()
    {
        var path = File("report.bin", 300 * 1024);
        var queued = await relay.Client.EnqueueAsync(Mail("Report", new MailAttachment(path)));
        Assert.Equal(1, queued.BlobCount);
        await using (var refusing = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { "customer@fabrikam.test" } }))
        using (var processor = Processor(refusing))
        {
            Assert.Equal(RelayOutcomeKind.DeadLettered, (await ProcessNextAsync(processor)).Kind);
        }

        // As Storage reports it: a record sent with timeToLive -1 expires "never" (9999-12-31), not 7 days later.
        var peeked = Assert.Single((await new QueueClient(relay.ConnectionString, RelayStorage.FailedQueueName(relay.Name)).PeekMessagesAsync(32)).Value);
        Assert.Equal(9999, peeked.ExpiresOn!.Value.Year);
        Assert.True(peeked.ExpiresOn > DateTimeOffset.UtcNow.AddDays(8));
        Assert.Single(relay.Blobs.GetBlobs());

        var failure = Assert.Single(await relay.Inspector.GetFailuresAsync());
        Assert.Equal("Smtp", failure.Kind);
        Assert.Equal(550, failure.StatusCode);
        Assert.Equal(queued.MessageId, failure.MessageId);
        Assert.True(failure.NeverExpires);
        Assert.Equal(relay.Blobs.GetBlobs().Select(b => b.Name), failure.Blobs);

        var resent = await relay.Inspector.ResendAsync(failure);
        Assert.Equal(queued.MessageId, resent.MessageId);
        Assert.Empty(await relay.Inspector.GetFailuresAsync());
        await using var accepting = await TestSmtpServer.StartAsync(new());
        using (var processor = Processor(accepting))
        {
            Assert.Equal(RelayOutcomeKind.Sent, (await ProcessNextAsync(processor)).Kind);
        }

        using var message = MimeMessage.Load(new MemoryStream(Assert.Single(await accepting.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Data));
        using var decoded = new MemoryStream();
        Assert.IsType<MimePart>(message.Attachments.Single()).Content!.DecodeTo(decoded);
        Assert.Equal(System.IO.File.ReadAllBytes(path), decoded.ToArray());
        Assert.Empty(relay.Blobs.GetBlobs());
        var sent = Assert.Single(await relay.Inspector.FindAsync(queued.MessageId));
        Assert.Equal(RelayMessageState.Sent, sent.State);
        Assert.Equal(queued.MessageId, sent.MessageId);

        // The same failure re-sent later (a second operator, a pipeline run twice): its record is gone, and that is what
        // it is told; not that a claim-check blob is missing and the mail should be sent again from its source.
        var stale = await Assert.ThrowsAsync<RelayInspectionException>(() => relay.Inspector.ResendAsync(failure));
        Assert.Equal(RelayInspectionError.FailureNotFound, stale.Error);
    }

    [Fact]
    public async Task ResendIsRefusedWhenTheLedgerSaysSentUnlessForcedAndRemoveDeletesOnlyItsRecordAndBlobs()
    {
        await using var refusing = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { "customer@fabrikam.test" } });
        await using var accepting = await TestSmtpServer.StartAsync(new());
        var first = await relay.Client.EnqueueAsync(Mail("First", new MailAttachment(File("a.bin", 100 * 1024))), idempotencyKey: "invoice-42");
        var other = await relay.Client.EnqueueAsync(Mail("Other", new MailAttachment(File("b.bin", 100 * 1024))));
        using (var processor = Processor(refusing))
        {
            await ProcessNextAsync(processor);
            await ProcessNextAsync(processor);
        }

        await relay.Client.EnqueueAsync(Mail("First again"), idempotencyKey: "invoice-42");
        using (var processor = Processor(accepting))
        {
            Assert.Equal(RelayOutcomeKind.Sent, (await ProcessNextAsync(processor)).Kind);
        }

        var failures = await relay.Inspector.GetFailuresAsync();
        Assert.Equal(2, failures.Count);
        var sentAlready = failures.Single(f => f.MessageId == first.MessageId);
        var refused = await Assert.ThrowsAsync<RelayInspectionException>(() => relay.Inspector.ResendAsync(sentAlready));
        Assert.Equal(RelayInspectionError.AlreadySent, refused.Error);
        Assert.Equal(2, (await relay.Inspector.GetFailuresAsync()).Count);
        Assert.Equal(2, relay.Blobs.GetBlobs().Count());

        var removedBlobs = await relay.Inspector.RemoveAsync(failures.Single(f => f.MessageId == other.MessageId));
        Assert.Single(removedBlobs);
        Assert.Equal(sentAlready.Blobs, relay.Blobs.GetBlobs().Select(b => b.Name));
        var again = await Assert.ThrowsAsync<RelayInspectionException>(() => relay.Inspector.RemoveAsync(failures.Single(f => f.MessageId == other.MessageId)));
        Assert.Equal(RelayInspectionError.FailureNotFound, again.Error);

        var forced = await relay.Inspector.ResendAsync(sentAlready, force: true);
        Assert.Equal("invoice-42", forced.IdempotencyKey);
        var waiting = Assert.Single(await relay.Inspector.FindAsync("invoice-42"));
        Assert.Equal(RelayMessageState.Waiting, waiting.State);
        var status = await relay.Inspector.GetStatusAsync();
        Assert.Equal((1, 0, 0, 1), (status.Waiting, status.DeadLettered, status.Poison, status.Blobs));
    }

    [Fact]
    public async Task AnUnknownQueueIsNotFoundAndNothingIsCreated()
    {
        var inspector = RelayQueueInspector.Create(relay.ConnectionString, "nosuchqueue" + Guid.NewGuid().ToString("N").Substring(0, 8));
        var error = await Assert.ThrowsAsync<RelayStorageException>(() => inspector.GetStatusAsync());
        Assert.Equal(RelayStorageFailureKind.NotFound, error.Kind);
        Assert.Contains("does not exist", error.Message);
        Assert.False((await new QueueClient(relay.ConnectionString, inspector.QueueName).ExistsAsync()).Value);
    }

    [Fact]
    public async Task MoreThan32RecordsAreAllReadAndLeftVisible()
    {
        // Storage peeks at most 32 messages: beyond that the inspector receives them and makes them visible again.
        await using var server = await TestSmtpServer.StartAsync(new());
        using var processor = Processor(server);
        for (var i = 0; i < 40; i++)
        {
            await relay.Client.EnqueueAsync(Mail($"Not ours {i}") with { From = "someone@fabrikam.test" });
            Assert.Equal(RelayOutcomeKind.DeadLettered, (await ProcessNextAsync(processor)).Kind);
        }

        var failures = await relay.Inspector.GetFailuresAsync(new RelayFailureFilter { Kinds = new[] { "Policy" } });

        Assert.Equal(40, failures.Select(f => f.RecordId).Distinct().Count());
        Assert.All(failures, f => Assert.True(f.NeverExpires));
        Assert.Equal(32, (await new QueueClient(relay.ConnectionString, RelayStorage.FailedQueueName(relay.Name)).PeekMessagesAsync(32)).Value.Length);
        Assert.Empty(await relay.Inspector.GetFailuresAsync(new RelayFailureFilter { Kinds = new[] { "Smtp" } }));
        Assert.Equal(40, (await relay.Inspector.GetStatusAsync()).DeadLettered);
    }

    [Fact]
    public async Task AMessageWhoseKeyIsClaimedAndNotVisibleIsSending()
    {
        var queued = await relay.Client.EnqueueAsync(Mail("In flight"));
        await relay.Queue.ReceiveMessageAsync(TimeSpan.FromMinutes(1));
        var ledger = new IdempotencyLedger(new Azure.Data.Tables.TableClient(relay.ConnectionString, RelayStorage.LedgerTableName(relay.Name)), TimeSpan.FromMinutes(10));
        Assert.Equal(LedgerClaim.Claimed, await ledger.ClaimAsync("billing@contoso.test", queued.IdempotencyKey, default));

        var found = Assert.Single(await relay.Inspector.FindAsync($"<{queued.MessageId}>"));

        Assert.Equal(RelayMessageState.Sending, found.State);
        Assert.Equal(queued.IdempotencyKey, found.IdempotencyKey);
        Assert.Equal(RelayMessageState.Unknown, Assert.Single(await relay.Inspector.FindAsync("nobody@contoso.test")).State);
    }
}
