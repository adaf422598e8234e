using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// Keeps sending under a smarthost's per-minute limit (Exchange Online: 30 messages a minute per
/// mailbox) as the smarthost counts: a send takes a lease before it starts and the lease records
/// when it ended. A new send starts only while the sends in flight plus those that ended within the
/// window stay under the limit; as the server receives a message between its start and its end,
/// no window of the server's clock ever sees more than the limit. Per process: with several
/// instances, divide the limit among them.
/// </summary>
public sealed class MessageRateLimiter
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);
    private readonly int perMinute;
    private readonly TimeSpan window;
    private readonly Queue<DateTimeOffset> ended = new();
    private readonly SemaphoreSlim turn = new(1, 1);
    private readonly object sync = new();
    private int inFlight;

    /// <summary>Creates the limiter.</summary>
    /// <param name="perMinute">Messages per minute; 0 or less means no limit.</param>
    public MessageRateLimiter(int perMinute)
        : this(perMinute, TimeSpan.FromMinutes(1))
    {
    }

    /// <summary>Creates the limiter with another window than a minute (for tests).</summary>
    /// <param name="perWindow">Messages per window; 0 or less means no limit.</param>
    /// <param name="window">The window.</param>
    internal MessageRateLimiter(int perWindow, TimeSpan window)
    {
        perMinute = perWindow;
        this.window = window;
    }

    /// <summary>Waits until one more message fits, and counts it as in flight.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The lease: dispose it when the send has ended, whether it succeeded or not.</returns>
    public async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        if (perMinute <= 0)
        {
            return Lease.None;
        }

        // One waiter at a time, so that senders get their turn in order.
        await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                TimeSpan wait;
                lock (sync)
                {
                    var now = DateTimeOffset.UtcNow;
                    while (ended.Count > 0 && now - ended.Peek() >= window)
                    {
                        ended.Dequeue();
                    }

                    if (inFlight + ended.Count < perMinute)
                    {
                        inFlight++;
                        return new Lease(this);
                    }

                    // Every slot is in flight or ended recently: the oldest end leaves the window first.
                    wait = ended.Count > 0 ? window - (now - ended.Peek()) : IdlePoll;
                }

                await Task.Delay(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            turn.Release();
        }
    }

    private void End()
    {
        lock (sync)
        {
            inFlight--;
            ended.Enqueue(DateTimeOffset.UtcNow);
        }
    }

    private sealed class Lease : IDisposable
    {
        public static readonly Lease None = new(null);
        private MessageRateLimiter? limiter;

        public Lease(MessageRateLimiter? limiter) => this.limiter = limiter;

        public void Dispose() => Interlocked.Exchange(ref limiter, null)?.End();
    }
}
