namespace SmtpOps.Relay;

/// <summary>Why the relay's Storage account could not be used.</summary>
public enum RelayStorageFailureKind
{
    /// <summary>No answer: the endpoint does not resolve, refuses the connection or does not respond.</summary>
    Unreachable,

    /// <summary>The service did not accept the credentials (401, or 403 AuthenticationFailed: a wrong key or an invalid SAS).</summary>
    AuthenticationFailed,

    /// <summary>The credentials are valid but lack the right (403: a SAS or role without add/create/write permission).</summary>
    PermissionDenied,

    /// <summary>The account, queue or container does not exist (404).</summary>
    NotFound,

    /// <summary>The connection string cannot be parsed; nothing was sent.</summary>
    InvalidConnectionString,

    /// <summary>The service answered with another error.</summary>
    Refused,
}
