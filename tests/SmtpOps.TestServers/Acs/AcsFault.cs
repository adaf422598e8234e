namespace SmtpOps.TestServers.Acs;

/// <summary>A failure the ACS contract endpoint answers a scripted number of send requests with, in order.</summary>
public enum AcsFault
{
    /// <summary>429 Too Many Requests with a Retry-After header: nothing is sent, the Operation-Id is not taken.</summary>
    Throttle,

    /// <summary>503 Service Unavailable with a Retry-After header: nothing is sent.</summary>
    Unavailable,

    /// <summary>403 Forbidden (error code ours: AuthorizationFailed): the identity has no role that allows sending.</summary>
    Forbidden,

    /// <summary>
    /// The 202 is lost: the request is taken in full (the operation exists and the message is sent) and then the connection
    /// is dropped before the answer, as a network failure after the service committed would leave it. A client that sends
    /// again with the same Operation-Id gets the operation it already has, and nothing is sent twice.
    /// </summary>
    LoseAcceptedAnswer,

    /// <summary>The send is accepted (202) but its operation ends Failed with error EmailDropped, as in Microsoft's example.</summary>
    DropEmail,
}
