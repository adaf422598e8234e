using System;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using SmtpOps.Messages;
using SmtpOps.Relay.Function;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.Processing;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// The Function class itself, built from the same DI registration as in Azure, fed real queue
/// messages received from Azurite, submitting to a real SMTP server on 127.0.0.1. The test plays
/// the Functions host: it receives, calls Run, and looks at what the queue holds afterwards.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelayFunctionTests
{
    private readonly AzuriteFixture azurite;
    private readonly string queueName = $"fn{Guid.NewGuid():N}".Substring(0, 20);

    public RelayFunctionTests(AzuriteFixture azurite) => this.azurite = azurite;

    private QueueClient Queue => new(azurite.ConnectionString, queueName, RelayStorage.QueueOptions());

    private QueueClient FailedQueue => new(azurite.ConnectionString, RelayStorage.FailedQueueName(queueName), RelayStorage.QueueOptions());

    private static MailMessageDefinition Mail(string subject = "Invoice") => new()
    {
        From = "Billing <billing@contoso.test>",
        To = new[] { "customer@fabrikam.test" },
        Subject = subject,
        TextBody = "Your invoice is attached.",
    };

    private RelayFunction Function(ServiceProvider services) => new(services.GetRequiredService<RelayQueueHandler>());

    private async Task<QueueMessage> ReceiveAsync(TimeSpan visibility)
    {
        for (var i = 0; i < 100; i++)
        {
            if ((await Queue.ReceiveMessageAsync(visibility)).Value is { } message)
            {
                return message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("No queue message became visible.");
    }

    [Fact]
    public async Task SentMessageIsDeliveredAndTheFunctionLeavesTheDeleteToTheHost()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        await using var services = RelayServices.Build(RelayServices.Settings(azurite.ConnectionString, queueName, server.Port));
        var queued = await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail());
        var message = await ReceiveAsync(TimeSpan.FromSeconds(1));

        await Function(services).Run(message, CancellationToken.None);

        var received = Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Contains($"<{queued.MessageId}>", Encoding.UTF8.GetString(received.Data));

        // The function did not delete it: once its visibility lapses it is back, for the host to delete.
        var again = await ReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(message.MessageId, again.MessageId);
        Assert.Equal(2, again.DequeueCount);

        // Delivered again (as after a crash before the host's delete), it is a duplicate: no second mail.
        var outcome = await services.GetRequiredService<RelayQueueHandler>().HandleAsync(again, CancellationToken.None);
        Assert.Equal(RelayOutcomeKind.Duplicate, outcome.Kind);
        await Task.Delay(300);
        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task TransientFailureHidesTheMessageForItsBackoffAndThrows()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { FailDataTimes = 1 });
        await using var services = RelayServices.Build(RelayServices.Settings(azurite.ConnectionString, queueName, server.Port));
        await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail());
        var message = await ReceiveAsync(TimeSpan.FromMinutes(10));

        var retry = await Assert.ThrowsAsync<RelayRetryException>(() => Function(services).Run(message, CancellationToken.None));
        var clock = Stopwatch.StartNew();

        Assert.Equal(TimeSpan.FromSeconds(2), retry.RetryAfter);
        Assert.Contains("451", retry.Message);
        Assert.Empty((await Queue.PeekMessagesAsync()).Value);

        // Back after the 2 s backoff, not after the 10 minutes it was received with.
        var again = await ReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8));
        Assert.Equal(2, again.DequeueCount);
        await Function(services).Run(again, CancellationToken.None);
        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task PermanentFailureWritesADeadLetterRecordAndCompletes()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { "customer@fabrikam.test" } });
        await using var services = RelayServices.Build(RelayServices.Settings(azurite.ConnectionString, queueName, server.Port));
        var queued = await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail());
        var message = await ReceiveAsync(TimeSpan.FromSeconds(30));

        await Function(services).Run(message, CancellationToken.None);

        var record = RelayEnvelopeFormat.DeserializeRecord((await FailedQueue.ReceiveMessageAsync()).Value.Body.ToString());
        Assert.Equal("Smtp", record.Kind);
        Assert.Equal(550, record.StatusCode);
        Assert.Equal(queued.MessageId, record.MessageId);
        Assert.Equal(1, record.Attempts);
        Assert.Contains("customer@fabrikam.test", record.Reason);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task AtTheLastDeliveryTheMessageIsLeftToThePoisonQueue()
    {
        // Another delivery holds the idempotency key (a crashed instance): every delivery is a retry.
        await using var server = await TestSmtpServer.StartAsync(new());
        var settings = RelayServices.Settings(azurite.ConnectionString, queueName, server.Port);
        settings["Relay:MaxAttempts"] = "2";
        settings["Relay:RetryDelay"] = "1";
        await using var services = RelayServices.Build(settings);
        var queued = await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail());
        var ledger = new IdempotencyLedger(new TableClient(azurite.ConnectionString, RelayStorage.LedgerTableName(queueName)), TimeSpan.FromMinutes(10));
        Assert.Equal(LedgerClaim.Claimed, await ledger.ClaimAsync("billing@contoso.test", queued.IdempotencyKey, CancellationToken.None));

        var first = await Assert.ThrowsAsync<RelayRetryException>(async () => await Function(services).Run(await ReceiveAsync(TimeSpan.FromMinutes(1)), CancellationToken.None));
        var last = await ReceiveAsync(TimeSpan.FromMinutes(1));
        var giveUp = await Assert.ThrowsAsync<RelayRetryException>(() => Function(services).Run(last, CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(1), first.RetryAfter);
        Assert.Equal(TimeSpan.Zero, giveUp.RetryAfter);
        Assert.Contains("poison", giveUp.Message);

        // Its pop receipt is untouched, so the host's poison move can delete it.
        await Queue.DeleteMessageAsync(last.MessageId, last.PopReceipt);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task MalformedMessageIsDeadLetteredAndTheNextOneIsSent()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        await using var services = RelayServices.Build(RelayServices.Settings(azurite.ConnectionString, queueName, server.Port));
        await Queue.CreateIfNotExistsAsync();
        await Queue.SendMessageAsync("{\"schemaVersion\":1,\"id\":");
        await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail("After the bad one"));

        await Function(services).Run(await ReceiveAsync(TimeSpan.FromSeconds(30)), CancellationToken.None);
        await Function(services).Run(await ReceiveAsync(TimeSpan.FromSeconds(30)), CancellationToken.None);

        var record = RelayEnvelopeFormat.DeserializeRecord((await FailedQueue.ReceiveMessageAsync()).Value.Body.ToString());
        Assert.Equal("Envelope", record.Kind);
        Assert.Contains("not JSON", record.Reason);
        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(server.Messages, m => !Encoding.UTF8.GetString(m.Data).Contains("After the bad one", StringComparison.Ordinal));
        Assert.True(server.Messages.All(m => m.Recipients.SequenceEqual(new[] { "customer@fabrikam.test" })));
    }
}
