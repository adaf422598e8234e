namespace SmtpOps.Relay;

/// <summary>Why a queue message is not a usable envelope; all are permanent.</summary>
public enum RelayEnvelopeError
{
    /// <summary>Not JSON, or not an envelope.</summary>
    Malformed,

    /// <summary>A schema version this relay does not know.</summary>
    UnknownVersion,

    /// <summary>Well-formed, but a required field is missing or invalid.</summary>
    Invalid,
}
