using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Relay.Processing;
using Xunit;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// The per-minute limit, with a short window: sends in flight count, and an ended send frees its slot
/// only a whole window after it ended. Only lower bounds of time are asserted (they cannot be flaky).
/// </summary>
public sealed class MessageRateLimiterTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task SendsInFlightHoldTheirSlots()
    {
        var limiter = new MessageRateLimiter(2, Window);
        using var first = await limiter.AcquireAsync(CancellationToken.None);
        using var second = await limiter.AcquireAsync(CancellationToken.None);

        var third = limiter.AcquireAsync(CancellationToken.None);
        await Task.Delay(Window * 3);

        Assert.False(third.IsCompleted);
        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => limiter.AcquireAsync(cancelled.Token));
    }

    [Fact]
    public async Task AnEndedSendFreesItsSlotOneWindowAfterItEnded()
    {
        var limiter = new MessageRateLimiter(2, Window);
        var first = await limiter.AcquireAsync(CancellationToken.None);
        using var second = await limiter.AcquireAsync(CancellationToken.None);

        var third = limiter.AcquireAsync(CancellationToken.None);
        await Task.Delay(Window);
        Assert.False(third.IsCompleted);

        var ended = Stopwatch.StartNew();
        first.Dispose();
        first.Dispose(); // a second dispose does not free a second slot
        using var lease = await third;

        Assert.True(ended.Elapsed >= Window - TimeSpan.FromMilliseconds(20), $"the slot came free after {ended.Elapsed.TotalMilliseconds} ms");
        var fourth = limiter.AcquireAsync(CancellationToken.None);
        await Task.Delay(Window * 2);
        Assert.False(fourth.IsCompleted);
    }

    [Fact]
    public void ZeroMeansNoLimit()
    {
        var limiter = new MessageRateLimiter(0);
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(limiter.AcquireAsync(CancellationToken.None).IsCompletedSuccessfully);
        }
    }
}
