namespace SmtpOps.Graph;

/// <summary>What kind of failure ended a Graph submission; decides whether it may be retried.</summary>
public enum GraphFailureKind
{
    /// <summary>429 Too Many Requests: Graph is throttling this app or mailbox; try again after Retry-After.</summary>
    Throttled,

    /// <summary>500, 502, 503 or 504: Graph could not take it now; try again later.</summary>
    Transient,

    /// <summary>Graph refused the request (400, 403, 404, 413, ...): do not retry; the error code says why.</summary>
    Permanent,

    /// <summary>No token could be had, or Graph refused it (401): fix the identity or token, do not retry blindly.</summary>
    Authentication,

    /// <summary>The connection could not be made or was lost: try again later.</summary>
    Connection,

    /// <summary>Graph did not answer in time: try again later.</summary>
    Timeout,
}
