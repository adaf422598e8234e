using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Smtp;

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
    private volatile bool disposed;

    /// <summary>Creates the pool.</summary>
    /// <param name="options">The smarthost.</param>
    /// <param name="maxConnections">How many connections may be open (in use or idle) at once; at least 1.</param>
    /// <param name="reuseConnections">Whether a connection is kept for the next message (otherwise each message gets its own connection, closed with QUIT after it).</param>
    public SmtpSubmitterPool(SmtpConnectionOptions options, int maxConnections = 8, bool reuseConnections = true)
    {
        if (maxConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxConnections), maxConnections, "At least one connection is needed.");
        }

        this.options = options ?? throw new ArgumentNullException(nameof(options));
        reuse = reuseConnections;
        slots = new SemaphoreSlim(maxConnections, maxConnections);
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

        try
        {
            if (healthy && reuse && !disposed)
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
            slots.Release();
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
