using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using SmtpOps.Messages;

namespace SmtpOps.Smtp;

/// <summary>
/// Spreads a sequence of messages over several connections to one SMTP server, each its own
/// <see cref="SmtpSubmitter"/> on its own thread (blocking MailKit calls, as a pipeline uses one), and
/// gives the outcomes back in posting order, each with the state it was posted with. Over a network
/// with latency each message waits several round trips for the server; N connections overlap those waits.
/// <see cref="Post"/> and the Take methods are for one thread (the caller's); the connections work on their own.
/// </summary>
public sealed class ParallelSmtpSubmitter : IDisposable
{
    private readonly SmtpConnectionOptions options;
    private readonly BlockingCollection<Submission> queue = new();
    private readonly Queue<Submission> posted = new();
    private readonly object finished = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread[] workers;
    private long sequence;
    private bool disposed;

    /// <summary>Starts the connections' threads; each connects on its first message.</summary>
    /// <param name="options">The server and how to talk to it (credentials included), the same for every connection.</param>
    /// <param name="connectionCount">How many connections to use at most (1 to 64).</param>
    public ParallelSmtpSubmitter(SmtpConnectionOptions options, int connectionCount)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        if (connectionCount is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(connectionCount), connectionCount, "Between 1 and 64 connections.");
        }

        // Fails here, not on a worker, when the options cannot make a submitter (no host).
        new SmtpSubmitter(options).Dispose();
        workers = new Thread[connectionCount];
        for (var i = 0; i < connectionCount; i++)
        {
            workers[i] = new Thread(Work) { IsBackground = true, Name = $"SmtpOps submission {i + 1}" };
            workers[i].Start();
        }
    }

    /// <summary>Gets the number of connections (threads) the pool sends over.</summary>
    public int ConnectionCount => workers.Length;

    /// <summary>Gets how many posted messages have not been taken yet (queued, in flight or finished).</summary>
    public int Pending => posted.Count;

    /// <summary>Queues a message for the next free connection. The pool owns the message from now on and disposes it once sent.</summary>
    /// <param name="message">The message, prepared by <see cref="MessageComposer.Prepare"/>.</param>
    /// <param name="state">Anything to tie the outcome to its input (the cmdlet passes the message's definition).</param>
    /// <returns>The message's place in posting order.</returns>
    public long Post(ComposedMessage message, object? state = null)
    {
        if (message is null)
        {
            throw new ArgumentNullException(nameof(message));
        }

        if (disposed)
        {
            throw new ObjectDisposedException(nameof(ParallelSmtpSubmitter));
        }

        var submission = new Submission(sequence++, message, state);
        posted.Enqueue(submission);
        queue.Add(submission);
        return submission.Sequence;
    }

    /// <summary>The next outcome in posting order if that message has finished; otherwise <c>null</c> (never waits).</summary>
    /// <returns>The outcome, or <c>null</c>.</returns>
    public SmtpSubmissionOutcome? TryTakeNext()
    {
        if (posted.Count == 0)
        {
            return null;
        }

        lock (finished)
        {
            return posted.Peek().Outcome is { } outcome ? Take(outcome) : null;
        }
    }

    /// <summary>Waits for the next message in posting order to finish and returns its outcome; <c>null</c> when nothing is pending.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The outcome, or <c>null</c>.</returns>
    public SmtpSubmissionOutcome? TakeNext(CancellationToken cancellationToken = default)
    {
        if (posted.Count == 0)
        {
            return null;
        }

        var head = posted.Peek();
        lock (finished)
        {
            while (head.Outcome is null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(finished, 250);
            }

            return Take(head.Outcome);
        }
    }

    /// <summary>
    /// No more messages: each connection sends what is queued, says QUIT and closes. Take the remaining
    /// outcomes with <see cref="TakeNext"/> until it returns <c>null</c>.
    /// </summary>
    public void CompleteAdding() => queue.CompleteAdding();

    /// <summary>Stops: messages not yet sent are not sent, and connections close without QUIT.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        stopping.Cancel();
        queue.CompleteAdding();
        foreach (var worker in workers)
        {
            worker.Join(TimeSpan.FromSeconds(5));
        }

        foreach (var left in posted)
        {
            left.Message.Dispose();
        }

        stopping.Dispose();
        queue.Dispose();
    }

    private SmtpSubmissionOutcome Take(SmtpSubmissionOutcome outcome)
    {
        posted.Dequeue();
        return outcome;
    }

    private void Work()
    {
        using var submitter = new SmtpSubmitter(options);
        try
        {
            foreach (var submission in queue.GetConsumingEnumerable(stopping.Token))
            {
                SmtpSendResult? result = null;
                Exception? error = null;
                try
                {
                    result = submitter.Send(submission.Message, stopping.Token);
                }
                catch (Exception ex)
                {
                    // Whatever it is, it belongs to this message and goes back to the caller's thread with it:
                    // an exception escaping this thread would end the process.
                    error = ex;
                }
                finally
                {
                    submission.Message.Dispose();
                }

                lock (finished)
                {
                    submission.Outcome = new SmtpSubmissionOutcome(submission.Sequence, submission.State, result, error);
                    Monitor.PulseAll(finished);
                }
            }

            submitter.Disconnect(stopping.Token);
        }
        catch (Exception)
        {
            // Disposed (cancelled, or the queue gone while taking from it) or QUIT failed: the connection closes anyway.
        }
    }

    /// <summary>One posted message and, once finished, its outcome (written under the lock).</summary>
    private sealed class Submission
    {
        public Submission(long sequence, ComposedMessage message, object? state)
        {
            Sequence = sequence;
            Message = message;
            State = state;
        }

        public long Sequence { get; }

        public ComposedMessage Message { get; }

        public object? State { get; }

        public SmtpSubmissionOutcome? Outcome { get; set; }
    }
}
