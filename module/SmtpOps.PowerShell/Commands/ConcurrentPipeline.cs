using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Runs up to a limit of asynchronous jobs at once for a cmdlet, and hands finished jobs back
/// on the pipeline thread (the only thread allowed to write output), in completion order.
/// </summary>
/// <typeparam name="T">What a job produces.</typeparam>
internal sealed class ConcurrentPipeline<T>
{
    private readonly int limit;
    private readonly List<Task<T>> running = new();

    public ConcurrentPipeline(int limit) => this.limit = Math.Max(1, limit);

    /// <summary>Gets how many jobs were started.</summary>
    public int Started { get; private set; }

    /// <summary>Starts a job, first waiting while the limit is reached; returns the jobs finished meanwhile.</summary>
    public IReadOnlyList<Task<T>> Start(Func<Task<T>> job, CancellationToken cancellationToken)
    {
        var finished = new List<Task<T>>();
        while (running.Count >= limit)
        {
            WaitAny(cancellationToken);
            finished.AddRange(TakeFinished());
        }

        running.Add(Task.Run(job, cancellationToken));
        Started++;
        finished.AddRange(TakeFinished());
        return finished;
    }

    /// <summary>Waits for every running job; yields each as it finishes.</summary>
    public IEnumerable<Task<T>> Drain(CancellationToken cancellationToken)
    {
        while (running.Count > 0)
        {
            WaitAny(cancellationToken);
            foreach (var task in TakeFinished())
            {
                yield return task;
            }
        }
    }

    private void WaitAny(CancellationToken cancellationToken)
    {
        try
        {
            Task.WaitAny(running.Cast<Task>().ToArray(), cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the jobs see the same token; collect what they end with.
            Task.WaitAll(running.Cast<Task>().ToArray().Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)).ToArray());
        }
    }

    private List<Task<T>> TakeFinished()
    {
        var done = running.Where(t => t.IsCompleted).ToList();
        running.RemoveAll(t => t.IsCompleted);
        return done;
    }
}
