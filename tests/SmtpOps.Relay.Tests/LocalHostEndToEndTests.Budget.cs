using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Azure.Storage.Queues;
using Xunit;

namespace SmtpOps.Relay.Tests;

// Two relay hosts on one queue sharing one sending budget through the ledger table.
public sealed partial class LocalHostEndToEndTests
{
    private const int BudgetMessages = 16;
    private const int BudgetPerWindow = 4;
    private static readonly TimeSpan BudgetWindow = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task TwoHostsSharingOneBudgetNeverExceedItsWindowAndWaitingCostsNoAttempt()
    {
        await using var server = await StartServerAsync();
        var enqueued = new List<string>();
        for (var i = 0; i < BudgetMessages; i++)
        {
            enqueued.Add((await Client.EnqueueAsync(Mail($"Paced {i}"))).MessageId);
        }

        // A small window so that the test stays short; a hold of 1 s so that most deliveries over budget go back to the
        // queue (the path that must not count an attempt); small batches so that both hosts take messages.
        var budget = new Dictionary<string, string>
        {
            ["Relay__Budget__Limits__0"] = $"{BudgetPerWindow} messages per {BudgetWindow:c}",
            ["Relay__Budget__MaxHold"] = "1",
            ["Queues__BatchSize"] = "2",
            ["Queues__NewBatchThreshold"] = "1",
        };
        await using var first = StartHost(server.Port, server, budget);
        await using var second = StartHost(server.Port, server, budget);

        var received = await WaitForAsync(server, BudgetMessages, first);
        await WaitUntilAsync(async () => await QueueLengthAsync() == 0, "the queue empty", second);
        await Task.Delay(2000);

        // Nothing lost, nothing twice.
        received = server.Messages;
        Assert.Equal(enqueued.OrderBy(m => m), received.Select(m => MessageId(m.Data)).OrderBy(m => m));

        // No window of the server's clock saw more than the budget.
        var arrivals = received.Select(m => m.ReceivedAt).OrderBy(t => t).ToArray();
        var most = arrivals.Select((a, i) => arrivals.Skip(i).TakeWhile(b => b - a < BudgetWindow).Count()).Max();
        Assert.True(most <= BudgetPerWindow, $"{most} messages arrived within {BudgetWindow.TotalSeconds} s; the budget is {BudgetPerWindow}. Arrivals: {string.Join(", ", arrivals.Select(a => a.ToString("HH:mm:ss.fff")))}");

        // Nothing failed, and waiting for the budget used up no delivery attempt: every send was a first delivery.
        var lines = first.Lines.Concat(second.Lines).ToList();
        var outcomes = lines.Where(l => l.Contains("SmtpOps.Relay[0] Relay ", StringComparison.Ordinal)).ToList();
        Assert.Contains(outcomes, l => l.Contains("Relay Deferred", StringComparison.Ordinal));
        Assert.DoesNotContain(outcomes, l => l.Contains("Relay Retry", StringComparison.Ordinal) || l.Contains("Relay DeadLettered", StringComparison.Ordinal));
        var sent = outcomes.Where(l => l.Contains("Relay Sent", StringComparison.Ordinal)).ToList();
        Assert.Equal(BudgetMessages, sent.Count);
        Assert.All(sent, l => Assert.Contains("attempt 1)", l));
        Assert.Contains(first.Lines, l => l.Contains("Relay Sent", StringComparison.Ordinal));
        Assert.Contains(second.Lines, l => l.Contains("Relay Sent", StringComparison.Ordinal));
        Assert.False(await PoisonQueueHasMessagesAsync());
        var failed = new QueueClient(azurite.ConnectionString, RelayStorage.FailedQueueName(queueName));
        Assert.False(await failed.ExistsAsync() && (await failed.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0);

        // The operator sees the budget the hosts shared, and its use.
        var status = await RelayQueueInspector.Create(azurite.ConnectionString, queueName).GetStatusAsync();
        Assert.Equal($"Smarthost: {BudgetPerWindow} messages per {BudgetWindow:c}", status.Budget);
        var use = Assert.Single(status.BudgetUse);
        Assert.Equal(BudgetPerWindow, use.Capacity);
        Assert.Equal(0, use.InFlight);
    }
}
