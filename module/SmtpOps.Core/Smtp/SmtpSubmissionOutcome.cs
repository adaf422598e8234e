using System;

namespace SmtpOps.Smtp;

/// <summary>What became of one message posted to an <see cref="ParallelSmtpSubmitter"/>: its result or its failure.</summary>
public sealed class SmtpSubmissionOutcome
{
    /// <summary>Creates the outcome.</summary>
    /// <param name="sequence">The message's place in posting order, from 0.</param>
    /// <param name="state">What the caller posted with the message (to tie the outcome to its input).</param>
    /// <param name="result">The server's answers, or <c>null</c> when it failed.</param>
    /// <param name="error">The failure, or <c>null</c> when it was sent.</param>
    public SmtpSubmissionOutcome(long sequence, object? state, SmtpSendResult? result, Exception? error)
    {
        Sequence = sequence;
        State = state;
        Result = result;
        Error = error;
    }

    /// <summary>Gets the message's place in posting order, from 0.</summary>
    public long Sequence { get; }

    /// <summary>Gets what the caller posted with the message.</summary>
    public object? State { get; }

    /// <summary>Gets the server's answers, or <c>null</c> when the message failed.</summary>
    public SmtpSendResult? Result { get; }

    /// <summary>
    /// Gets the failure, or <c>null</c> when the message was sent: usually an <see cref="SmtpSubmissionException"/>;
    /// an <see cref="OperationCanceledException"/> when the pool was stopped first; anything else is a fault to rethrow.
    /// </summary>
    public Exception? Error { get; }
}
