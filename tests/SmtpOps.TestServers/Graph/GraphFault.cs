namespace SmtpOps.TestServers.Graph;

/// <summary>A failure the Graph contract endpoint answers a scripted number of API requests with (upload PUTs are not counted).</summary>
public enum GraphFault
{
    /// <summary>429 Too Many Requests with a Retry-After header (error code TooManyRequests).</summary>
    Throttle,

    /// <summary>403 Forbidden, error code ErrorAccessDenied: the app has no Mail.Send for this mailbox.</summary>
    AccessDenied,

    /// <summary>503 Service Unavailable with a Retry-After header.</summary>
    Unavailable,
}
