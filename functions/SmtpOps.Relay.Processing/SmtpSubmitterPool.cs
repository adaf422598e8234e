using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Smtp;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// The smarthost connections of one process, shared by concurrent senders (one submitter per
/// send, as SmtpClient is not thread-safe): at most <c>maxConnections</c> are open at once (a
/// sender waits for a free one), and, when reuse is on, a connection goes back to the pool after
/// its message so that the next send skips the TCP, TLS and AUTH round trips.
/// </summary>
public sealed class SmtpSubmitterPool : IDisposable
{
    private readonly SmtpConnectionOptions options;
    private readonly bool reuse;
    private readonly SemaphoreSlim slots;
    private readonly ConcurrentBag<SmtpSubmitter> idle = new();
    private readonly object gate = new();
    private int limit;
    private int withhold;
    private volatile bool disposed;

    /// <summary>Creates the pool.</summary>
    /// <param name="options">The smarthost.</param>
    /// <param name="maxConnections">How many connections may be open (in use or idle) at once; at least 1.</param>
    /// <param name="reuseConnections">Whether a connection is kept for the next message (otherwise each message gets its own connection, closed with QUIT after it).</param>
    public SmtpSubmitterPool(SmtpConnectionOptions options, int maxConnections = 3, bool reuseConnections = true)
    {
        if (maxConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxConnections), maxConnections, "At least one connection is needed.");
        }

        this.options = options ?? throw new ArgumentNullException(nameof(options));
        reuse = reuseConnections;
        slots = new SemaphoreSlim(maxConnections, maxConnections);
        limit = maxConnections;
    }

    /// <summary>Gets how many connections may be open at once now: the configured maximum, less what <see cref="LowerConnectionLimit"/> took away.</summary>
    public int ConnectionLimit => Volatile.Read(ref limit);

    /// <summary>
    /// Allows one connection fewer from now on (never fewer than one), for a smarthost that says it is
    /// throttling (e.g. <c>432 4.3.2 Concurrent connections limit exceeded</c>): the next submitter given
    /// back is closed and its slot is not freed. Call it while holding a rented submitter.
    /// </summary>
    /// <returns>The new limit (unchanged at 1).</returns>
    public int LowerConnectionLimit()
    {
        lock (gate)
        {
            if (limit > 1)
            {
                limit--;
                withhold++;
            }

            return limit;
        }
    }

    /// <summary>Waits for a free connection slot, then takes an idle submitter or makes a new one.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The submitter; give it back with <see cref="ReturnAsync"/>, whatever happened.</returns>
    public async Task<SmtpSubmitter> RentAsync(CancellationToken cancellationToken = default)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return idle.TryTake(out var submitter) ? submitter : new SmtpSubmitter(options);
    }

    /// <summary>Gives a submitter back: kept if reuse is on and its connection is healthy, closed otherwise.</summary>
    /// <param name="submitter">The submitter.</param>
    /// <param name="healthy">Whether its connection is in a known good state.</param>
    /// <returns>A task that completes when the submitter is pooled or closed.</returns>
    public async Task ReturnAsync(SmtpSubmitter submitter, bool healthy)
    {
        if (submitter is null)
        {
            throw new ArgumentNullException(nameof(submitter));
        }

        var withheld = false;
        lock (gate)
        {
            if (withhold > 0)
            {
                withhold--;
                withheld = true;
            }
        }

        try
        {
            if (withheld)
            {
                // The limit was lowered: this connection closes and its slot is gone.
                submitter.Dispose();
            }
            else if (healthy && reuse && !disposed)
            {
                idle.Add(submitter);
            }
            else if (healthy)
            {
                // Not reused: say QUIT, as a well-behaved client does at the end of its session.
                await submitter.DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                submitter.Dispose();
            }
        }
        finally
        {
            if (!withheld)
            {
                slots.Release();
            }
        }
    }

    /// <summary>Closes every idle connection.</summary>
    public void Dispose()
    {
        disposed = true;
        while (idle.TryTake(out var submitter))
        {
            submitter.Dispose();
        }
    }
}
