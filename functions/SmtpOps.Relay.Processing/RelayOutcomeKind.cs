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

    /// <summary>A permanent failure: a dead-letter record with the reason was written; do not retry.</summary>
    DeadLettered,
}
