namespace SmtpOps.Smtp;

/// <summary>What kind of failure ended a submission; decides whether it may be retried.</summary>
public enum SmtpFailureKind
{
    /// <summary>The server answered 4xx: try again later.</summary>
    Transient,

    /// <summary>The server answered 5xx: do not retry.</summary>
    Permanent,

    /// <summary>The connection could not be made or was lost: try again later.</summary>
    Connection,

    /// <summary>The server did not answer in time: try again later.</summary>
    Timeout,

    /// <summary>Authentication failed or is not offered: fix the configuration, do not retry.</summary>
    Authentication,

    /// <summary>TLS could not be established, or sending credentials without TLS was refused: do not retry.</summary>
    Security,

    /// <summary>The server's certificate was not trusted: fix it or pin it, do not retry.</summary>
    Certificate,

    /// <summary>
    /// The server broke the limits of an SMTP reply (a line over 4,096 bytes, a reply over 200 lines or 1 MiB):
    /// the connection was closed; do not retry at once.
    /// </summary>
    Protocol,
}
