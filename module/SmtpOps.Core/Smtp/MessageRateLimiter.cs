using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Smtp;

/// <summary>
/// Keeps sending under a smarthost's per-minute limit (Exchange Online: 30 messages a minute per
/// mailbox), with a sliding one-minute window. Per process: the queue's batch size and instance
/// count decide the rest.
/// </summary>
public sealed class MessageRateLimiter
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly int perMinute;
    private readonly Queue<DateTimeOffset> recent = new();
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Creates the limiter.</summary>
    /// <param name="perMinute">Messages per minute; 0 or less means no limit.</param>
    public MessageRateLimiter(int perMinute) => this.perMinute = perMinute;

    /// <summary>Waits until one more message fits in the window, and counts it.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the message may be sent.</returns>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (perMinute <= 0)
        {
            return;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var now = DateTimeOffset.UtcNow;
                while (recent.Count > 0 && now - recent.Peek() >= Window)
                {
                    recent.Dequeue();
                }

                if (recent.Count < perMinute)
                {
                    recent.Enqueue(now);
                    return;
                }

                await Task.Delay(Window - (now - recent.Peek()), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
