namespace SmtpOps.Relay.Processing;

/// <summary>The answer of the <see cref="IdempotencyLedger"/> when the relay asks to send a key.</summary>
public enum LedgerClaim
{
    /// <summary>This delivery owns the key now: send.</summary>
    Claimed,

    /// <summary>The key was sent already: do not send again.</summary>
    AlreadySent,

    /// <summary>Another delivery is sending it right now (its lease has not expired): try later.</summary>
    InFlight,
}
