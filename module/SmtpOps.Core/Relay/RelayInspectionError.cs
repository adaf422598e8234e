namespace SmtpOps.Relay;

/// <summary>Why <see cref="RelayQueueInspector"/> refused to re-send or remove a failure.</summary>
public enum RelayInspectionError
{
    /// <summary>The record is not (or no longer) in its queue: re-sent or removed already.</summary>
    FailureNotFound,

    /// <summary>The idempotency ledger says the message was sent: re-sending needs <c>force</c>.</summary>
    AlreadySent,

    /// <summary>The record holds nothing the relay could send (malformed text, a missing claim-check blob).</summary>
    NotResendable,
}
