using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Runs up to a limit of asynchronous jobs at once for a cmdlet, and hands finished jobs back
/// with their input on the pipeline thread (the only thread allowed to write output), in
/// completion order. The pipeline thread blocks only while the limit is reached.
/// </summary>
/// <remarks>
/// Each job reports its own completion into a queue and wakes the pipeline thread. The pipeline
/// thread sleeps on a monitor while it waits: no spinning and no re-arming a wait over every job
/// in flight for each one that finishes (Task.WaitAny does both, which on a busy machine started
/// the next job late and so kept fewer in flight).
/// </remarks>
/// <typeparam name="TInput">What a job was started for (for error targets).</typeparam>
/// <typeparam name="TResult">What a job produces.</typeparam>
internal sealed class ConcurrentPipeline<TInput, TResult>
{
    private readonly int limit;
    private readonly object gate = new();
    private readonly Queue<(TInput Input, Task<TResult> Task)> finished = new();
    private readonly Action wakeAll;

    public ConcurrentPipeline(int limit)
    {
        this.limit = Math.Max(1, limit);
        wakeAll = () =>
        {
            lock (gate)
            {
                Monitor.PulseAll(gate);
            }
        };
    }

    /// <summary>Gets how many jobs were started.</summary>
    public int Started { get; private set; }

    /// <summary>Gets how many jobs are still running (started and not yet handed back).</summary>
    public int Running { get; private set; }

    /// <summary>Starts a job, first waiting while the limit is reached; returns the jobs finished meanwhile.</summary>
    public IReadOnlyList<(TInput Input, Task<TResult> Task)> Start(TInput input, Func<Task<TResult>> job, CancellationToken cancellationToken)
    {
        var done = new List<(TInput, Task<TResult>)>();
        while (Running >= limit)
        {
            WaitForFinished(cancellationToken);
            TakeFinished(done);
        }

        var task = Task.Run(job, cancellationToken);
        Running++;
        Started++;
        task.ContinueWith(
            (completed, state) =>
            {
                lock (gate)
                {
                    finished.Enqueue(((TInput)state!, completed));
                    Monitor.Pulse(gate);
                }
            },
            input,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        TakeFinished(done);
        return done;
    }

    /// <summary>Waits for every running job; yields each as it finishes.</summary>
    public IEnumerable<(TInput Input, Task<TResult> Task)> Drain(CancellationToken cancellationToken)
    {
        var done = new List<(TInput, Task<TResult>)>();
        while (Running > 0)
        {
            WaitForFinished(cancellationToken);
            done.Clear();
            TakeFinished(done);
            foreach (var job in done)
            {
                yield return job;
            }
        }
    }

    private void WaitForFinished(CancellationToken cancellationToken)
    {
        // Stopping wakes the wait; the jobs see the same token, so then wait for what they all end with.
        using var wake = cancellationToken.Register(wakeAll);
        lock (gate)
        {
            while (finished.Count == 0 || (cancellationToken.IsCancellationRequested && finished.Count < Running))
            {
                Monitor.Wait(gate);
            }
        }
    }

    private void TakeFinished(List<(TInput, Task<TResult>)> into)
    {
        lock (gate)
        {
            while (finished.Count > 0)
            {
                into.Add(finished.Dequeue());
                Running--;
            }
        }
    }
}
