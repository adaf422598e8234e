namespace SmtpOps.Acs;

/// <summary>What kind of failure ended a send through Azure Communication Services Email; decides whether it may be retried.</summary>
public enum AcsFailureKind
{
    /// <summary>429 Too Many Requests: the resource's sending limit is reached; try again after Retry-After.</summary>
    Throttled,

    /// <summary>500, 502, 503 or 504: the service could not take it now; try again later.</summary>
    Transient,

    /// <summary>The service refused the request (400, 403, 404, 413, ...): do not retry; the error code says why.</summary>
    Permanent,

    /// <summary>
    /// Refused here, before anything was sent: the message is more than ACS can carry (over its size limit, more than its
    /// recipients per message, inline images with an API version that has no content ids). Do not retry.
    /// </summary>
    NotSupported,

    /// <summary>The send operation ended Failed or Canceled (e.g. EmailDropped): ACS took the request but did not send the message.</summary>
    OperationFailed,

    /// <summary>No token could be had, or ACS refused the token or the access-key signature (401): fix the identity or key.</summary>
    Authentication,

    /// <summary>The connection could not be made or was lost: try again later.</summary>
    Connection,

    /// <summary>The service did not answer in time: try again later.</summary>
    Timeout,
}
