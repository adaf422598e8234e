using System;
using System.Collections.Concurrent;

namespace SmtpOps.Smtp;

/// <summary>
/// A few open submitters for concurrent senders (one per invocation, as SmtpClient is not
/// thread-safe), so that a busy relay reuses authenticated connections instead of opening one
/// per message.
/// </summary>
public sealed class SmtpSubmitterPool : IDisposable
{
    private readonly SmtpConnectionOptions options;
    private readonly int maxIdle;
    private readonly ConcurrentBag<SmtpSubmitter> idle = new();
    private bool disposed;

    /// <summary>Creates the pool.</summary>
    /// <param name="options">The smarthost.</param>
    /// <param name="maxIdle">How many idle connections to keep.</param>
    public SmtpSubmitterPool(SmtpConnectionOptions options, int maxIdle = 8)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        this.maxIdle = maxIdle;
    }

    /// <summary>Takes an idle submitter, or makes a new one.</summary>
    /// <returns>The submitter; give it back with <see cref="Return"/>.</returns>
    public SmtpSubmitter Rent() => idle.TryTake(out var submitter) ? submitter : new SmtpSubmitter(options);

    /// <summary>Gives a submitter back: kept if healthy and there is room, closed otherwise.</summary>
    /// <param name="submitter">The submitter.</param>
    /// <param name="healthy">Whether its connection is in a known good state.</param>
    public void Return(SmtpSubmitter submitter, bool healthy)
    {
        if (healthy && !disposed && idle.Count < maxIdle)
        {
            idle.Add(submitter);
        }
        else
        {
            submitter.Dispose();
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
