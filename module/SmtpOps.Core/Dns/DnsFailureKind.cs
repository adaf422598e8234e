namespace SmtpOps.Dns;

/// <summary>Why a domain's mail exchangers could not be resolved; decides whether to try again later.</summary>
public enum DnsFailureKind
{
    /// <summary>The domain does not exist (NXDOMAIN): permanent, mail to it bounces.</summary>
    NotFound,

    /// <summary>The domain exists but has neither MX nor address records: permanent, mail to it bounces.</summary>
    NoMailServer,

    /// <summary>The name server failed or refused (SERVFAIL, REFUSED, ...): temporary, try again later.</summary>
    Temporary,

    /// <summary>The name server did not answer in time: temporary, try again later.</summary>
    Timeout,

    /// <summary>The input is not a valid domain name or e-mail address.</summary>
    InvalidName,
}
