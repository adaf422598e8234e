using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Runs up to a limit of asynchronous jobs at once for a cmdlet, and hands finished jobs back
/// with their input on the pipeline thread (the only thread allowed to write output), in
/// completion order. The pipeline thread blocks only while the limit is reached.
/// </summary>
/// <typeparam name="TInput">What a job was started for (for error targets).</typeparam>
/// <typeparam name="TResult">What a job produces.</typeparam>
internal sealed class ConcurrentPipeline<TInput, TResult>
{
    private readonly int limit;
    private readonly List<(TInput Input, Task<TResult> Task)> running = new();

    public ConcurrentPipeline(int limit) => this.limit = Math.Max(1, limit);

    /// <summary>Gets how many jobs were started.</summary>
    public int Started { get; private set; }

    /// <summary>Gets how many jobs are still running.</summary>
    public int Running => running.Count;

    /// <summary>Starts a job, first waiting while the limit is reached; returns the jobs finished meanwhile.</summary>
    public IReadOnlyList<(TInput Input, Task<TResult> Task)> Start(TInput input, Func<Task<TResult>> job, CancellationToken cancellationToken)
    {
        var finished = new List<(TInput, Task<TResult>)>();
        while (running.Count >= limit)
        {
            WaitAny(cancellationToken);
            finished.AddRange(TakeFinished());
        }

        running.Add((input, Task.Run(job, cancellationToken)));
        Started++;
        finished.AddRange(TakeFinished());
        return finished;
    }

    /// <summary>Waits for every running job; yields each as it finishes.</summary>
    public IEnumerable<(TInput Input, Task<TResult> Task)> Drain(CancellationToken cancellationToken)
    {
        while (running.Count > 0)
        {
            WaitAny(cancellationToken);
            foreach (var done in TakeFinished())
            {
                yield return done;
            }
        }
    }

    private void WaitAny(CancellationToken cancellationToken)
    {
        var tasks = running.Select(r => (Task)r.Task).ToArray();
        try
        {
            Task.WaitAny(tasks, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the jobs see the same token; wait for what they end with.
            Task.WaitAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)).ToArray());
        }
    }

    private List<(TInput, Task<TResult>)> TakeFinished()
    {
        // Remove exactly what was taken: a job finishing in between stays for the next call.
        var done = running.Where(r => r.Task.IsCompleted).ToList();
        foreach (var job in done)
        {
            running.Remove(job);
        }

        return done;
    }
}
