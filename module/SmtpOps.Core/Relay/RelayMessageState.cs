namespace SmtpOps.Relay;

/// <summary>Where a message is, as <see cref="RelayQueueInspector.FindAsync"/> sees it.</summary>
public enum RelayMessageState
{
    /// <summary>Nothing knows it: not visible on the queue, no record, no ledger entry (it may be invisible on the queue: being delivered or waiting for a retry).</summary>
    Unknown,

    /// <summary>On the relay queue, not yet delivered.</summary>
    Waiting,

    /// <summary>On the relay queue after a failed delivery: it will be tried again (<see cref="RelayMessageLocation.Attempt"/> deliveries so far).</summary>
    Retrying,

    /// <summary>A delivery holds its idempotency key right now.</summary>
    Sending,

    /// <summary>The smarthost accepted it (the ledger says when and what it answered).</summary>
    Sent,

    /// <summary>On the relay queue with an idempotency key the ledger says was sent: the relay will drop it without sending.</summary>
    Duplicate,

    /// <summary>The relay gave up: a dead-letter record says why.</summary>
    DeadLettered,

    /// <summary>The platform moved it to the poison queue.</summary>
    Poison,
}
