using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Azure.Storage.Blobs;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// The relay's trust boundary, tried as a queue writer would: hand-made envelopes put on the queue with the Storage SDK, run
/// through the real relay host against Azurite and a recording SMTP server. A queue writer may have an allowed sender's mail
/// sent to at most the allowed recipients, and nothing else: no blob outside the claim-check container is read, written or
/// deleted (Azurite's blob service is reached through a proxy that records every request), the SMTP envelope on the wire is
/// exactly the relay envelope's, the policy judges what is sent, no claim is left behind, and nothing forges a log line.
/// </summary>
public sealed partial class LocalHostEndToEndTests
{
    private const string Attacker = "attacker@evil.test";

    [GeneratedRegex(@"^(GET|HEAD|PUT|DELETE|POST) (\S+) HTTP/1\.1", RegexOptions.Multiline)]
    private static partial Regex RequestLine();

    [Fact]
    public async Task ClaimCheckNamesOutsideTheContainerAreRefusedAndNothingThereIsReadWrittenOrDeleted()
    {
        var victim = new BlobContainerClient(azurite.ConnectionString, $"victim{Guid.NewGuid():N}"[..20]);
        await victim.CreateAsync();
        var secret = "TOP-SECRET-" + Guid.NewGuid().ToString("N");
        await victim.GetBlobClient("secret.json").UploadAsync(BinaryData.FromString(secret));
        await victim.GetBlobClient("delete-me.txt").UploadAsync(BinaryData.FromString("keep me"));
        await using var blobProxy = PausableProxy.Start(azurite.BlobPort, record: true);
        await using var server = await StartServerAsync();
        await using var host = StartHost(server.Port, server, new() { ["RelayStorage"] = azurite.ConnectionStringWithBlobPort(blobProxy.Port) });

        // A message sent before, whose key a hostile envelope reuses: the duplicate path deleted its blobs unread.
        var sentBefore = await Client.EnqueueAsync(Mail("Sent before"), "statement-2026-12");
        await WaitForAsync(server, 1, host);

        var outside = $"../{victim.Name}/secret.json";
        var hostile = new List<RelayEnvelope>
        {
            Hostile("read", attachmentBlob: outside),
            Hostile("read-absolute", attachmentBlob: $"{victim.Uri}/secret.json"),
            Hostile("read-escaped", attachmentBlob: $"..%2F{victim.Name}%2Fsecret.json"),
            Hostile("read-backslash", attachmentBlob: $"..\\{victim.Name}\\secret.json"),
            new() { Id = Guid.NewGuid().ToString("N"), IdempotencyKey = "pointer", EnvelopeBlob = outside },
            Hostile("statement-2026-12", attachmentBlob: $"../{victim.Name}/delete-me.txt"),

            // Refused by the policy (the sender), so a dead-letter record is written; its text is over 40 KiB, so the
            // original goes to a blob named by the envelope id.
            new() { Id = $"../../{victim.Name}/pwned", IdempotencyKey = "write", From = "ceo@evil.test", To = [Attacker], Subject = "w", TextBody = new string('w', 42_000) },
        };
        foreach (var envelope in hostile)
        {
            await PutOnQueueAsync(envelope);
        }

        var records = await FailedRecordsAsync(hostile.Count, host);
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0, "the queue empty", host);

        var requested = RequestLine().Matches(blobProxy.Sent).Select(m => Uri.UnescapeDataString(m.Groups[2].Value)).ToList();
        Assert.NotEmpty(requested);
        Assert.DoesNotContain(requested, path => path.Contains(victim.Name, StringComparison.Ordinal));
        Assert.DoesNotContain(server.Messages, m => Encoding.Latin1.GetString(m.Data).Contains(secret, StringComparison.Ordinal));
        Assert.Equal(["delete-me.txt", "secret.json"], await victim.GetBlobsAsync().Select(b => b.Name).OrderBy(n => n).ToListAsync());
        Assert.Equal(secret, (await victim.GetBlobClient("secret.json").DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal(sentBefore.MessageId, MessageId(Assert.Single(server.Messages).Data));
        Assert.All(records, r => Assert.Equal("Envelope", r.Kind));
        Assert.False(await PoisonQueueHasMessagesAsync());
    }

    [Fact]
    public async Task TheSmtpEnvelopeOnTheWireIsExactlyTheRelayEnvelopes()
    {
        await using var server = await StartServerAsync();
        await using var host = StartHost(server.Port, server, new() { ["Relay__Policy__MaxRecipients"] = "3", ["Relay__Policy__MaxMessageBytes"] = "10000" });
        var hostile = new List<(RelayEnvelope Envelope, string Kind)>
        {
            // Resent-* would give MAIL FROM and RCPT TO; trace and authentication headers would mislead the receiver.
            (Hostile("resent", headers: new() { ["Resent-From"] = "ceo@evil.test", ["Resent-To"] = Attacker, ["Resent-Bcc"] = "hidden@evil.test" }), "Message"),
            (Hostile("trace", headers: new() { ["Return-Path"] = "<bounce@evil.test>", ["Authentication-Results"] = "mx.test; dkim=pass", ["DKIM-Signature"] = "v=1; d=contoso.test; s=s; b=x" }), "Message"),

            // One To entry with five mailboxes is five RCPTs, over the limit of three.
            (new RelayEnvelope { Id = Guid.NewGuid().ToString("N"), IdempotencyKey = "five-in-one", From = "billing@contoso.test", To = ["a@f.test, b@f.test, c@f.test, d@f.test, e@f.test"], Subject = "5" }, "Policy"),

            // 20 KB of inline content declared as 0 bytes, over the limit of 10,000.
            (Hostile("declared-empty", inline: new byte[20_000]), "Policy"),
        };
        foreach (var (envelope, _) in hostile)
        {
            await PutOnQueueAsync(envelope);
        }

        var legitimate = await Client.EnqueueAsync(Mail("Envelope") with { Cc = ["auditor@fabrikam.test"], Bcc = ["archive@contoso.test"] });

        var records = await FailedRecordsAsync(hostile.Count, host);
        var received = Assert.Single(await WaitForAsync(server, 1, host));
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0, "the queue empty", host);

        foreach (var (envelope, kind) in hostile)
        {
            Assert.Equal(kind, Assert.Single(records, r => r.IdempotencyKey == envelope.IdempotencyKey).Kind);
        }

        Assert.Equal(legitimate.MessageId, MessageId(received.Data));
        Assert.Equal("billing@contoso.test", received.From);
        Assert.Equal(["customer@fabrikam.test", "auditor@fabrikam.test", "archive@contoso.test"], received.Recipients);
        Assert.DoesNotContain("archive@contoso.test", Encoding.Latin1.GetString(received.Data), StringComparison.Ordinal);
        Assert.Single(server.Messages);
        Assert.False(await PoisonQueueHasMessagesAsync());
    }

    [Fact]
    public async Task AMessageTheComposerCannotBuildReleasesItsClaimSoTheNextWithItsKeyIsSent()
    {
        // A claim lease far longer than the test: a claim left behind would hold the key for ten minutes.
        await using var server = await StartServerAsync();
        await using var host = StartHost(server.Port, server, new() { ["Relay__MaxAttempts"] = "2", ["Relay__ClaimLease"] = "600" });
        var broken = Hostile("shared-key", inline: [1, 2, 3], contentType: "text/plain\r\nX-Injected: 1");
        await PutOnQueueAsync(broken);

        var record = Assert.Single(await FailedRecordsAsync(1, host));
        var queued = await Client.EnqueueAsync(Mail("Same key, later"), "shared-key");

        Assert.Equal("Message", record.Kind);
        Assert.Equal(queued.MessageId, MessageId(Assert.Single(await WaitForAsync(server, 1, host)).Data));
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0, "the queue empty", host);
        Assert.False(await PoisonQueueHasMessagesAsync());
    }

    [Fact]
    public async Task AnotherSendersMessageWithTheSameKeyDoesNotSuppressThisOne()
    {
        await using var server = await StartServerAsync();
        await using var host = StartHost(server.Port, server);
        var first = Hostile("payroll-2026-12", from: "alerts@contoso.test");
        await PutOnQueueAsync(first);
        await WaitForAsync(server, 1, host);

        var victim = await Client.EnqueueAsync(Mail("Payroll"), "payroll-2026-12");

        var received = await WaitForAsync(server, 2, host);
        Assert.Contains(received, m => MessageId(m.Data) == victim.MessageId && m.From == "billing@contoso.test");
        Assert.Contains(received, m => m.From == "alerts@contoso.test");
    }

    [Fact]
    public async Task AnEnvelopeBlobOverTheLimitIsRefusedFromItsPropertiesWithoutADownload()
    {
        await using var blobProxy = PausableProxy.Start(azurite.BlobPort, record: true);
        await using var server = await StartServerAsync();
        await using var host = StartHost(server.Port, server, new()
        {
            ["RelayStorage"] = azurite.ConnectionStringWithBlobPort(blobProxy.Port),
            ["Relay__Policy__MaxMessageBytes"] = "100000",
        });
        var id = Guid.NewGuid().ToString("N");
        var container = new BlobContainerClient(azurite.ConnectionString, RelayStorage.AttachmentContainerName(queueName));
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient($"{id}/envelope.json").UploadAsync(new BinaryData(new byte[2_000_000]));
        await PutOnQueueAsync(new RelayEnvelope { Id = id, IdempotencyKey = "big", EnvelopeBlob = $"{id}/envelope.json" });

        var record = Assert.Single(await FailedRecordsAsync(1, host));

        var requested = RequestLine().Matches(blobProxy.Sent).Select(m => (Method: m.Groups[1].Value, Path: m.Groups[2].Value)).ToList();
        Assert.DoesNotContain(requested, r => r.Method == "GET" && r.Path.Contains($"{id}/envelope.json", StringComparison.Ordinal));
        Assert.Contains(requested, r => r.Method == "HEAD" && r.Path.Contains($"{id}/envelope.json", StringComparison.Ordinal));
        Assert.Equal("Policy", record.Kind);
        Assert.Contains("not downloaded", record.Reason);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task AValueWithLineBreaksCannotForgeALogLineOrARecordLine()
    {
        await using var server = await StartServerAsync();
        await using var host = StartHost(server.Port, server);
        const string Forged = "info: SmtpOps.Relay[0] Relay Sent queue message forged";
        await PutOnQueueAsync(Hostile("forge", from: $"x@evil.test\r{Forged}"));

        var record = Assert.Single(await FailedRecordsAsync(1, host));
        await WaitUntilAsync(() => Task.FromResult(host.Lines.Any(l => l.Contains("Relay DeadLettered", StringComparison.Ordinal))), "the outcome logged", host);

        Assert.Equal("Policy", record.Kind);
        Assert.DoesNotContain('\r', record.Reason);
        Assert.Contains("\\r" + Forged, record.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Lines, l => l.TrimStart().StartsWith(Forged, StringComparison.Ordinal));
        Assert.Contains(host.Lines, l => l.Contains("\\r" + Forged, StringComparison.Ordinal));
        Assert.Empty(server.Messages);
    }

    // What a queue writer can do: put any text on the queue.
    private async Task PutOnQueueAsync(RelayEnvelope envelope)
    {
        await Queue.CreateIfNotExistsAsync();
        await Queue.SendMessageAsync(RelayEnvelopeFormat.Serialize(envelope));
    }

    // A hand-made envelope from an allowed sender to the attacker, with one hostile part.
    private static RelayEnvelope Hostile(
        string idempotencyKey,
        string from = "billing@contoso.test",
        string? attachmentBlob = null,
        byte[]? inline = null,
        string contentType = "application/octet-stream",
        Dictionary<string, string>? headers = null) => new()
        {
            Id = Guid.NewGuid().ToString("N"),
            IdempotencyKey = idempotencyKey,
            From = from,
            To = [Attacker],
            Subject = $"Hostile {idempotencyKey}",
            TextBody = "x",
            Headers = headers ?? new Dictionary<string, string>(),
            Attachments = attachmentBlob is not null
                ? [new RelayAttachment { FileName = "secret.json", Blob = attachmentBlob, Length = 10 }]
                : inline is not null ? [new RelayAttachment { FileName = "a.bin", ContentType = contentType, Length = 0, Content = Convert.ToBase64String(inline) }] : [],
        };
}
