namespace SmtpOps.Relay.Processing;

/// <summary>What became of one queue message.</summary>
public enum RelayOutcomeKind
{
    /// <summary>The smarthost accepted it.</summary>
    Sent,

    /// <summary>A redelivery of a message already sent: nothing was sent again.</summary>
    Duplicate,

    /// <summary>A transient failure: the queue must deliver it again after <see cref="RelayOutcome.RetryAfter"/>.</summary>
    Retry,

    /// <summary>
    /// Over the sending budget longer than the processor holds a delivery: the queue must deliver it again at
    /// <see cref="RelayOutcome.RetryAfter"/> without counting an attempt (the handler enqueues a fresh copy, invisible until then).
    /// </summary>
    Deferred,

    /// <summary>A permanent failure: a dead-letter record with the reason was written; do not retry.</summary>
    DeadLettered,
}
