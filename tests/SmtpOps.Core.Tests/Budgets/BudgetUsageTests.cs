using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Budgets;
using Xunit;

namespace SmtpOps.Tests.Budgets;

/// <summary>The budget's arithmetic on an explicit clock: what is admitted, when the next send may go, and the window guarantee.</summary>
public sealed class BudgetUsageTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    [Fact]
    public void TheSendAfterTheLimitWaitsUntilTheFirstSendsSliceLeavesTheWindow()
    {
        var budget = new SendingBudget("Test", new[] { new BudgetLimit(BudgetMeasure.Messages, 3, TimeSpan.FromMinutes(1)) });
        var usage = BudgetUsage.Empty;
        for (var i = 0; i < 3; i++)
        {
            var at = T0.AddSeconds(i);
            var (next, _) = usage.Reserve(budget, $"s{i}", 1, at, Lease);
            usage = Assert.IsType<BudgetUsage>(next).Release(budget, $"s{i}", at.AddMilliseconds(200));
        }

        var (refused, retryAt) = usage.Reserve(budget, "s3", 1, T0.AddSeconds(10), Lease);

        Assert.Null(refused);
        // The first send ended at 12:00:00.2, in the slice [0 s, 1 s): counted until a minute after the slice's end.
        Assert.Equal(T0.AddSeconds(61), retryAt);
        Assert.Null(usage.Reserve(budget, "s3", 1, T0.AddSeconds(60.9), Lease).Next);
        Assert.NotNull(usage.Reserve(budget, "s3", 1, T0.AddSeconds(61), Lease).Next);
        Assert.Equal(T0.AddSeconds(61), usage.NextSendAt(budget, T0.AddSeconds(10)));
    }

    [Fact]
    public void SendsUnderWayCountAndFillTheConcurrentSends()
    {
        var budget = new SendingBudget("Test", new[] { new BudgetLimit(BudgetMeasure.Messages, 10, TimeSpan.FromMinutes(1)) }, concurrentSends: 2);
        var usage = BudgetUsage.Empty;
        usage = usage.Reserve(budget, "a", 1, T0, Lease).Next!;
        usage = usage.Reserve(budget, "b", 1, T0, Lease).Next!;

        var (third, retryAt) = usage.Reserve(budget, "c", 1, T0, Lease);

        Assert.Null(third);
        Assert.Equal(T0 + budget.PollInterval, retryAt);
        Assert.NotNull(usage.Release(budget, "a", T0.AddSeconds(1)).Reserve(budget, "c", 1, T0.AddSeconds(1), Lease).Next);
        var uses = usage.Describe(budget, T0);
        Assert.Equal(new[] { "2/10 messages per minute", "2/2 concurrent" }, uses.Select(u => u.ToString()));
    }

    [Fact]
    public void RecipientsPerDayCountEachRecipientAndAMessageOverTheWholeLimitGoesIntoAnEmptyWindow()
    {
        var budget = SendingBudget.Unlimited.With(recipientsPerDay: 10);
        var usage = BudgetUsage.Empty.Reserve(budget, "a", 7, T0, Lease).Next!.Release(budget, "a", T0);

        Assert.Null(usage.Reserve(budget, "b", 4, T0.AddMinutes(1), Lease).Next);
        Assert.NotNull(usage.Reserve(budget, "b", 3, T0.AddMinutes(1), Lease).Next);
        Assert.NotNull(BudgetUsage.Empty.Reserve(budget, "big", 25, T0, Lease).Next);
        Assert.Equal(T0.AddDays(1).AddMinutes(24), usage.NextSendAt(budget, T0.AddMinutes(1), recipients: 4));
    }

    [Fact]
    public void ASendWhoseProcessDiedStopsCountingWhenItsLeaseEnds()
    {
        var budget = SendingBudget.Unlimited.With(concurrentSends: 1);
        var usage = BudgetUsage.Empty.Reserve(budget, "dead", 1, T0, TimeSpan.FromSeconds(30)).Next!;

        Assert.Null(usage.Reserve(budget, "next", 1, T0.AddSeconds(29), Lease).Next);
        Assert.NotNull(usage.Reserve(budget, "next", 1, T0.AddSeconds(30), Lease).Next);
    }

    [Fact]
    public void UsageAndItsBudgetSurviveJson()
    {
        var budget = SendingBudget.Acs.With(concurrentSends: 2);
        var usage = BudgetUsage.Empty.Reserve(budget, "a", 2, T0, Lease).Next!.Release(budget, "a", T0.AddSeconds(1)).Reserve(budget, "b", 1, T0.AddSeconds(2), Lease).Next!;

        var back = BudgetUsage.FromJson(usage.ToJson());

        Assert.Equal(budget.ToString(), back.Budget!.ToString());
        Assert.Equal(usage.ToJson(), back.ToJson());
        Assert.Equal(new[] { "2/30 messages per minute", "2/100 messages per hour", "1/2 concurrent" }, back.Describe(null, T0.AddSeconds(3)).Select(u => u.ToString()));
    }

    // The guarantee: sends admitted and released through the usage, each reaching the service at any moment between its
    // start and its end, never put more than the limit into any window of the service's clock.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void NoWindowOfArrivalsHoldsMoreThanTheLimitWhateverTheSendsDurations(int seed)
    {
        var random = new Random(seed);
        var window = TimeSpan.FromSeconds(10);
        var budget = new SendingBudget("Test", new[] { new BudgetLimit(BudgetMeasure.Messages, 5, window) }, concurrentSends: 3);
        var usage = BudgetUsage.Empty;
        var now = T0;
        var underWay = new List<(string Id, DateTimeOffset End, DateTimeOffset Arrival)>();
        var arrivals = new List<DateTimeOffset>();
        var waiting = 200;
        while (waiting > 0 || underWay.Count > 0)
        {
            foreach (var done in underWay.Where(s => s.End <= now).ToList())
            {
                usage = usage.Release(budget, done.Id, done.End);
                arrivals.Add(done.Arrival);
                underWay.Remove(done);
            }

            if (waiting > 0)
            {
                var id = $"m{waiting}";
                var (next, _) = usage.Reserve(budget, id, 1, now, Lease);
                if (next is not null)
                {
                    usage = next;
                    var end = now.AddMilliseconds(random.Next(1, 4000));
                    underWay.Add((id, end, now + TimeSpan.FromTicks((long)((end - now).Ticks * random.NextDouble()))));
                    waiting--;
                    continue;
                }
            }

            now = now.AddMilliseconds(random.Next(1, 300));
        }

        var sorted = arrivals.OrderBy(a => a).ToArray();
        var most = sorted.Select((a, i) => sorted.Skip(i).TakeWhile(b => b - a < window).Count()).Max();
        Assert.Equal(200, sorted.Length);
        Assert.InRange(most, 1, 5);
    }
}
