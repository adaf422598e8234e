// Past the house's 450 lines on purpose: the relay's end-to-end scenarios through the real host share one host
// start-up and its helpers; the hostile ones are already in LocalHostEndToEndTests.Hostile.cs.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MimeKit;
using SmtpOps.Messages;
using SmtpOps.Relay.Processing;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// The relay end to end: SmtpRelayClient enqueues on Azurite, the LocalHost process (the WebJobs SDK,
/// the Functions host's queue-trigger engine: dequeue count, visibility, poison queue, concurrency)
/// relays to a STARTTLS + AUTH server on 127.0.0.1. Logging at Debug: the password never shows.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed partial class LocalHostEndToEndTests : IDisposable
{
    private const string User = "relay";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly AzuriteFixture azurite;
    private readonly string queueName = $"e2e{Guid.NewGuid():N}".Substring(0, 20);
    private readonly string password = "Smarthost-" + Guid.NewGuid().ToString("N");
    private readonly string folder = Directory.CreateTempSubdirectory("smtpops-relay-e2e-").FullName;

    public LocalHostEndToEndTests(AzuriteFixture azurite) => this.azurite = azurite;

    private QueueClient Queue => new(azurite.ConnectionString, queueName, RelayStorage.QueueOptions());

    private SmtpRelayClient Client => SmtpRelayClient.Create(azurite.ConnectionString, queueName);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [GeneratedRegex(@"^Message-ID:\s*<([^>]+)>", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex MessageIdHeader();

    [Fact]
    public async Task TwoHundredMessagesAreDeliveredExactlyOnceWithTheirAttachments()
    {
        await using var server = await StartServerAsync();
        await using var host = StartHost(server.Port, server);
        var enqueued = new ConcurrentDictionary<string, byte[]?>();
        var random = new Random(200);
        var sizes = Enumerable.Range(0, 200).Select(i => i % 10 == 0 ? 70_000 + random.Next(150_000) : 0).ToArray();
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(sizes.Select(async (size, i) =>
            {
                await gate.WaitAsync();
                try
                {
                    byte[]? bytes = null;
                    var mail = Mail($"Statement {i}");
                    if (size > 0)
                    {
                        bytes = new byte[size];
                        new Random(i).NextBytes(bytes);
                        var path = Path.Combine(folder, $"statement-{i}.pdf");
                        await File.WriteAllBytesAsync(path, bytes);
                        mail = mail with { Attachments = new[] { new MailAttachment(path) } };
                    }

                    var queued = await Client.EnqueueAsync(mail);
                    Assert.True(size == 0 || queued.BlobCount == 1, "an attachment over 64 KiB travels as a blob");
                    enqueued[queued.MessageId] = bytes;
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        Assert.Equal(20, enqueued.Values.Count(b => b is not null));
        var received = await WaitForAsync(server, 200, host);
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0 && !await AttachmentBlobsAsync().AnyAsync(), "queue and attachment container empty");
        await Task.Delay(2000);

        received = server.Messages;
        Assert.Equal(200, received.Count);
        var byId = received.ToDictionary(m => MessageId(m.Data), m => m.Data);
        Assert.Equal(enqueued.Keys.OrderBy(k => k), byId.Keys.OrderBy(k => k));
        foreach (var (id, bytes) in enqueued.Where(e => e.Value is not null))
        {
            using var message = MimeMessage.Load(new MemoryStream(byId[id]));
            var part = Assert.IsType<MimePart>(Assert.Single(message.Attachments));
            using var decoded = new MemoryStream();
            await part.Content!.DecodeToAsync(decoded);
            Assert.True(bytes!.AsSpan().SequenceEqual(decoded.ToArray()), $"the attachment of {id} is byte-identical");
        }

        Assert.All(received, m => Assert.Equal(User, m.AuthenticatedUser));
        Assert.All(received, m => Assert.True(m.Secure));
        Secrets.AssertNotLogged(host.Lines, User, password);
    }

    [Fact]
    public async Task A451IsRetriedByTheQueueWithAGrowingDelayUntilDelivered()
    {
        await using var server = await StartServerAsync(failDataTimes: 3);
        await using var host = StartHost(server.Port, server);
        var queued = await Client.EnqueueAsync(Mail("Retried"));

        var received = Assert.Single(await WaitForAsync(server, 1, host));

        Assert.Equal(queued.MessageId, MessageId(received.Data));
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0, "the queue empty");
        var relayLines = host.Lines.Where(l => l.Contains(queued.MessageId, StringComparison.Ordinal) && l.Contains("Relay ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, relayLines.Count(l => l.Contains("Relay Retry", StringComparison.Ordinal) && l.Contains("451", StringComparison.Ordinal)));
        Assert.Contains(relayLines, l => l.Contains("Relay Sent", StringComparison.Ordinal) && l.Contains("attempt 4", StringComparison.Ordinal));
        Assert.Contains(host.Lines, l => l.Contains("comes back in 1 s (attempt 1)", StringComparison.Ordinal));
        Assert.Contains(host.Lines, l => l.Contains("comes back in 2 s (attempt 2)", StringComparison.Ordinal));
        Secrets.AssertNotLogged(host.Lines, User, password);
    }

    [Fact]
    public async Task ASmarthostWithAPrivateCaCertificateIsTrustedWithoutAPinAndItsUnknownRevocationLogged()
    {
        // The run's CA is trusted through the system store (SSL_CERT_FILE, inherited by the host process).
        using var authority = TestTrustStore.LoadTrusted();
        var leaf = TestCertificates.IssueServerCertificate(authority, ["localhost", "127.0.0.1"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        await using var server = await StartServerAsync(certificate: leaf);
        await using var host = StartHost(server.Port, server, pin: false);

        await Client.EnqueueAsync(Mail("Private CA"));

        Assert.Single(await WaitForAsync(server, 1, host));
        await WaitUntilAsync(() => Task.FromResult(host.Lines.Any(l => l.Contains("The smarthost's certificate", StringComparison.Ordinal))), "the certificate warning");
        Assert.Contains(host.Lines, l => l.Contains("revocation status unknown: it names no CRL distribution point", StringComparison.Ordinal));
        Secrets.AssertNotLogged(host.Lines, User, password);
    }

    [Fact]
    public async Task ASmarthostWhoseCaTheMachineDoesNotTrustIsTrustedThroughTrustedRootCertificates()
    {
        using var authority = TestCertificates.CreateAuthority("SmtpOps Relay Test CA " + Guid.NewGuid().ToString("N"));
        var leaf = TestCertificates.IssueServerCertificate(authority, ["localhost", "127.0.0.1"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        await using var server = await StartServerAsync(certificate: leaf);
        var rootFile = Path.Combine(folder, "smarthost-root.pem");
        await File.WriteAllTextAsync(rootFile, authority.ExportCertificatePem());
        await using var host = StartHost(server.Port, server, new() { ["Relay__Smarthost__TrustedRootCertificates__0"] = rootFile }, pin: false);

        await Client.EnqueueAsync(Mail("Relay's own root"));

        Assert.Single(await WaitForAsync(server, 1, host));
    }

    [Fact]
    public async Task WithIdentityBasedStorageSettingsTheHostRelaysThroughAManagedIdentityAndNoKey()
    {
        // Azurite in OAuth mode over HTTPS (its certificate from the run's CA, trusted through SSL_CERT_FILE), and the
        // App Service managed identity endpoint that Azure.Identity's ManagedIdentityCredential asks for tokens.
        using var authority = TestTrustStore.LoadTrusted();
        var azuriteCertificate = TestCertificates.IssueServerCertificate(authority, ["127.0.0.1", "localhost"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        await using var storage = await AzuriteServer.StartWithOAuthAsync(azuriteCertificate, Path.Combine(folder, "azurite-oauth"));
        await using var identity = ManagedIdentityEndpoint.Start();
        await using var server = await StartServerAsync();
        var clientId = Guid.NewGuid().ToString();
        await using var host = StartHost(server.Port, server, new()
        {
            ["RelayStorage"] = string.Empty,
            ["RelayStorage__queueServiceUri"] = storage.QueueServiceUri.ToString(),
            ["RelayStorage__blobServiceUri"] = storage.BlobServiceUri.ToString(),
            ["RelayStorage__tableServiceUri"] = storage.TableServiceUri.ToString(),
            ["RelayStorage__credential"] = "managedidentity",
            ["RelayStorage__clientId"] = clientId,
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["IDENTITY_ENDPOINT"] = identity.Endpoint.ToString(),
            ["IDENTITY_HEADER"] = identity.Header,
        });
        var queueUri = new Uri($"{storage.QueueServiceUri}/{queueName}");
        var enqueuer = SmtpRelayClient.Create(queueUri, ManagedIdentityEndpoint.StorageToken(TimeSpan.FromHours(1)), new Uri($"{storage.BlobServiceUri}/{RelayStorage.AttachmentContainerName(queueName)}"));
        var attachment = Path.Combine(folder, "large.bin");
        await File.WriteAllBytesAsync(attachment, new byte[120_000]);

        var queued = await enqueuer.EnqueueAsync(Mail("With identity") with { Attachments = [new MailAttachment(attachment)] });

        var received = Assert.Single(await WaitForAsync(server, 1, host));
        Assert.Equal(queued.MessageId, MessageId(received.Data));
        Assert.Equal(1, queued.BlobCount);
        Assert.Contains(identity.Requests, r => r.Resource.StartsWith("https://storage.azure.com", StringComparison.Ordinal) && r.ClientId == clientId);
        // The ledger (a table) says sent, and the claim-check blob is gone: every relay client went through the identity.
        await WaitUntilAsync(async () => !await new Azure.Storage.Blobs.BlobContainerClient(storage.ConnectionString, RelayStorage.AttachmentContainerName(queueName)).GetBlobsAsync().AnyAsync(), "the claim-check blob deleted", host);
        Secrets.AssertNotLogged(host.Lines, User, password);
    }

    [Fact]
    public async Task A550IsDeadLetteredWithItsReasonAndNeverRetried()
    {
        await using var server = await StartServerAsync(reject: "customer@fabrikam.test");
        await using var host = StartHost(server.Port, server);
        var queued = await Client.EnqueueAsync(Mail("Refused"));

        var record = (await FailedRecordsAsync(1, host)).Single();
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0, "the queue empty");
        await Task.Delay(3000);

        Assert.Equal("Smtp", record.Kind);
        Assert.Equal(550, record.StatusCode);
        Assert.Equal(1, record.Attempts);
        Assert.Equal(queued.MessageId, record.MessageId);
        Assert.Contains("customer@fabrikam.test", record.Reason);
        Assert.Empty(server.Messages);
        Assert.Single(host.Lines, l => l.Contains("SmtpOps.Relay[0] Relay ", StringComparison.Ordinal)); // one delivery, one outcome: DeadLettered
        Assert.False(await PoisonQueueHasMessagesAsync());
        Secrets.AssertNotLogged(host.Lines, User, password);
    }

    [Fact]
    public async Task BadMessagesAreDeadLetteredWithReasonsWhileTheOthersAreDelivered()
    {
        await using var server = await StartServerAsync();
        await using var host = StartHost(server.Port, server);
        var bad = new (string Text, string Kind, string Reason)[]
        {
            ("this is not json", "Envelope", "not JSON"),
            ("{\"schemaVersion\":7,\"id\":\"x\",\"idempotencyKey\":\"k\"}", "Envelope", "version 7"),
            ("{\"schemaVersion\":1,\"id\":\"y\",\"idempotencyKey\":\"k1\",\"from\":\"ceo@contoso-evil.test\",\"to\":[\"a@b.test\"],\"subject\":\"s\"}", "Policy", "allow-list"),
            ("{\"schemaVersion\":1,\"id\":\"z\",\"idempotencyKey\":\"k2\",\"from\":\"billing@contoso.test\",\"to\":[\"a@b.test\"],\"subject\":\"s\\r\\nBcc: victim@evil.test\"}", "Message", "HeaderInjection"),
        };
        var good = new List<string>();
        await Queue.CreateIfNotExistsAsync();
        foreach (var (text, _, _) in bad)
        {
            good.Add((await Client.EnqueueAsync(Mail($"Good before {good.Count}"))).MessageId);
            await Queue.SendMessageAsync(text);
        }

        good.Add((await Client.EnqueueAsync(Mail("Good at the end"))).MessageId);

        var records = await FailedRecordsAsync(bad.Length, host);
        var received = await WaitForAsync(server, good.Count, host);
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0, "the queue empty");

        foreach (var (text, kind, reason) in bad)
        {
            var record = Assert.Single(records, r => r.OriginalMessage == text);
            Assert.Equal(kind, record.Kind);
            Assert.Contains(reason, record.Reason);
        }

        Assert.Equal(good.OrderBy(g => g), received.Select(m => MessageId(m.Data)).OrderBy(g => g));
        Assert.DoesNotContain(received, m => m.Recipients.Contains("victim@evil.test"));
        Assert.False(await PoisonQueueHasMessagesAsync());
        Secrets.AssertNotLogged(host.Lines, User, password);
    }

    [Fact]
    public async Task KilledMidBatchAndRestartedNothingIsLostAndNothingSentTwice()
    {
        await using var server = await StartServerAsync();
        await using var proxy = PausableProxy.Start(server.Port);
        var ids = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            ids.Add((await Client.EnqueueAsync(Mail($"Batch {i}"))).MessageId);
        }

        var first = StartHost(proxy.Port, server);
        try
        {
            await WaitForAsync(server, 15, first);

            // Sends in progress stall before the server has their whole message; the ones the server
            // already accepted get their 250 and are marked sent. Then the process dies mid-batch.
            proxy.Pause();
            await Task.Delay(1500);
            await first.KillAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        var delivered = server.Messages.Count;
        Assert.InRange(delivered, 15, 59);
        Assert.True(await QueueLengthAsync() > 0, "messages were left in the queue, some invisible and claimed by the dead process");
        proxy.DropAll();
        proxy.Resume();

        await using var second = StartHost(proxy.Port, server);
        await WaitForAsync(server, 60, second);
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0, "the queue empty");
        await Task.Delay(2000);

        var received = server.Messages.Select(m => MessageId(m.Data)).ToList();
        Assert.Equal(60, received.Count);
        Assert.Equal(ids.OrderBy(i => i), received.OrderBy(i => i));
        Assert.False(await PoisonQueueHasMessagesAsync());
        Secrets.AssertNotLogged(first.Lines.Concat(second.Lines), User, password);
    }

    [Fact]
    public async Task AMessageStillFailingAtMaxDequeueCountLandsInThePoisonQueue()
    {
        // Its idempotency key is held by a delivery that never finishes (a crashed instance with a long
        // lease): every delivery is a retry, and the platform's poison queue catches it.
        await using var server = await StartServerAsync();
        await using var host = StartHost(server.Port, server, new() { ["Relay__MaxAttempts"] = "2", ["Relay__ClaimLease"] = "600" });
        var queued = await Client.EnqueueAsync(Mail("Stuck"));
        var ledger = new IdempotencyLedger(new TableClient(azurite.ConnectionString, RelayStorage.LedgerTableName(queueName)), TimeSpan.FromMinutes(10));
        Assert.Equal(LedgerClaim.Claimed, await ledger.ClaimAsync("billing@contoso.test", queued.IdempotencyKey, CancellationToken.None));

        await WaitUntilAsync(PoisonQueueHasMessagesAsync, "a message in the poison queue", host);
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0, "the queue empty");
        await Task.Delay(2000);

        var poison = new QueueClient(azurite.ConnectionString, RelayStorage.PoisonQueueName(queueName), RelayStorage.QueueOptions());
        var copies = (await poison.PeekMessagesAsync(32)).Value;
        Assert.Contains(queued.MessageId, Assert.Single(copies).Body.ToString());
        Assert.Contains(host.Lines, l => l.Contains("reached MaxDequeueCount of 2", StringComparison.Ordinal));
        Assert.Empty(server.Messages);
    }

    private static MailMessageDefinition Mail(string subject) => new()
    {
        From = "Billing <billing@contoso.test>",
        To = new[] { "customer@fabrikam.test" },
        Subject = subject,
        TextBody = "Your statement.",
    };

    private static string MessageId(byte[] data)
    {
        var headers = System.Text.Encoding.UTF8.GetString(data, 0, Math.Min(data.Length, 8192));
        return MessageIdHeader().Match(headers) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException("No Message-ID header.");
    }

    private Task<TestSmtpServer> StartServerAsync(int failDataTimes = 0, string? reject = null, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null) => TestSmtpServer.StartAsync(new()
    {
        Tls = TestSmtpTls.StartTls,
        Certificate = certificate,
        Users = new Dictionary<string, string> { [User] = password },
        FailDataTimes = failDataTimes,
        RejectRecipients = reject is null ? [] : [reject],
    });

    private LocalHostProcess StartHost(int smtpPort, TestSmtpServer server, Dictionary<string, string>? overrides = null, bool pin = true)
    {
        var environment = new Dictionary<string, string>
        {
            ["RelayStorage"] = azurite.ConnectionString,
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Relay__QueueName"] = queueName,
            ["Relay__Smarthost__Host"] = "127.0.0.1",
            ["Relay__Smarthost__Port"] = $"{smtpPort}",
            ["Relay__Smarthost__Security"] = "StartTls",
            ["Relay__Smarthost__CertificateThumbprints__0"] = server.Certificate!.Thumbprint,
            ["Relay__Smarthost__UserName"] = User,
            ["Relay__Smarthost__Password"] = password,
            ["Relay__Smarthost__Retries"] = "0",
            ["Relay__Smarthost__Timeout"] = "10",
            ["Relay__Policy__AllowedSenders__0"] = "contoso.test",
            ["Relay__MessagesPerMinute"] = "0",
            ["Relay__MaxAttempts"] = "5",
            ["Relay__RetryDelay"] = "1",
            ["Relay__MaxRetryDelay"] = "4",
            ["Relay__ClaimLease"] = "5",
            ["Queues__VisibilityTimeout"] = "00:00:01",
            ["Queues__InFlightVisibilityTimeout"] = "00:00:08",
            ["Queues__MaxPollingInterval"] = "00:00:01",
            ["Logging__LogLevel__Default"] = "Debug",
        };
        foreach (var (name, value) in overrides ?? new())
        {
            // An empty value removes the setting.
            if (value.Length == 0)
            {
                environment.Remove(name);
            }
            else
            {
                environment[name] = value;
            }
        }

        if (!pin)
        {
            environment.Remove("Relay__Smarthost__CertificateThumbprints__0");
        }

        return LocalHostProcess.Start(environment);
    }

    private async Task<IReadOnlyList<ReceivedMessage>> WaitForAsync(TestSmtpServer server, int count, LocalHostProcess host)
    {
        try
        {
            return await server.WaitForMessagesAsync(count, Patience);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} LocalHost {(host.HasExited ? "exited" : "running")}, its last lines:{Environment.NewLine}{host.Tail()}", ex);
        }
    }

    private async Task<List<DeadLetterRecord>> FailedRecordsAsync(int count, LocalHostProcess host)
    {
        var failed = new QueueClient(azurite.ConnectionString, RelayStorage.FailedQueueName(queueName), RelayStorage.QueueOptions());
        var records = new List<DeadLetterRecord>();
        await WaitUntilAsync(
            async () =>
            {
                if (await failed.ExistsAsync())
                {
                    foreach (var message in (await failed.ReceiveMessagesAsync(32)).Value)
                    {
                        records.Add(RelayEnvelopeFormat.DeserializeRecord(message.Body.ToString()));
                    }
                }

                return records.Count >= count;
            },
            $"{count} dead-letter record(s)",
            host);
        return records;
    }

    private async Task<int> QueueLengthAsync() => (await Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;

    private async Task<bool> PoisonQueueHasMessagesAsync()
    {
        var poison = new QueueClient(azurite.ConnectionString, RelayStorage.PoisonQueueName(queueName));
        return await poison.ExistsAsync() && (await poison.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0;
    }

    private IAsyncEnumerable<Azure.Storage.Blobs.Models.BlobItem> AttachmentBlobsAsync()
        => new BlobContainerClient(azurite.ConnectionString, RelayStorage.AttachmentContainerName(queueName)).GetBlobsAsync();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, LocalHostProcess? host = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Patience)
            {
                throw new TimeoutException($"Not reached within {Patience.TotalSeconds} s: {what}.{(host is null ? string.Empty : Environment.NewLine + host.Tail())}");
            }

            await Task.Delay(200);
        }
    }
}
