namespace SmtpOps.Spf;

/// <summary>How a DNS query of SPF evaluation ended.</summary>
public enum SpfDnsStatus
{
    /// <summary>NOERROR: the records of the asked type, possibly none (NODATA).</summary>
    NoError,

    /// <summary>NXDOMAIN: the name does not exist.</summary>
    NameError,

    /// <summary>SERVFAIL, REFUSED, a timeout or another failure: a temporary error (RFC 7208 section 2.6.6).</summary>
    Failure,
}
