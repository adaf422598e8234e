namespace SmtpOps.Smtp;

/// <summary>What to do about the revocation status of the server's certificate.</summary>
public enum CertificateRevocationMode
{
    /// <summary>
    /// Check it (CRL or OCSP); refuse a revoked certificate, accept one whose status cannot be
    /// learned (no CRL distribution point, responder unreachable) and report that. What browsers
    /// and mail clients do, and the default.
    /// </summary>
    SoftFail = 0,

    /// <summary>Check it and refuse a certificate unless it is known not to be revoked.</summary>
    Strict = 1,

    /// <summary>Do not check it (no CRL or OCSP request is made).</summary>
    NoCheck = 2,
}
