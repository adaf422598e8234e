namespace SmtpOps.TestServers.Graph;

/// <summary>A failure the Graph contract endpoint answers a scripted number of requests with: API requests in order, or one kind of request (<see cref="GraphOperation"/>).</summary>
public enum GraphFault
{
    /// <summary>429 Too Many Requests with a Retry-After header (error code TooManyRequests).</summary>
    Throttle,

    /// <summary>403 Forbidden, error code ErrorAccessDenied: the app has no Mail.Send for this mailbox.</summary>
    AccessDenied,

    /// <summary>503 Service Unavailable with a Retry-After header.</summary>
    Unavailable,

    /// <summary>No answer: the connection is closed once the request has been read (a connection lost, as the client sees it).</summary>
    Disconnect,

    /// <summary>
    /// For a PUT or GET of an upload URL: the upload session is gone, as one past its expirationDateTime, and the request
    /// is answered 404 ErrorItemNotFound, as a request to any unknown session is; nothing of the range is stored. Any
    /// other request just gets the 404.
    /// </summary>
    ExpireSession,

    /// <summary>No answer at all: the request is read and then left open, unanswered, until the client gives up (its timeout or cancellation) or the endpoint stops. Other requests are served meanwhile.</summary>
    Hang,

    /// <summary>200 OK with a body that is not JSON (an HTML page, as a proxy or a gateway in front of Graph may give) where JSON was expected.</summary>
    NotJson,
}
