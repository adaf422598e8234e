namespace SmtpOps.Smtp;

/// <summary>What is known about whether the server's certificate was revoked.</summary>
public enum CertificateRevocationStatus
{
    /// <summary>Not checked (revocation checking off, or the certificate is pinned or the check skipped).</summary>
    NotChecked = 0,

    /// <summary>Checked: not revoked.</summary>
    Good = 1,

    /// <summary>Could not be learned: no CRL distribution point or OCSP responder, or none reachable.</summary>
    Unknown = 2,

    /// <summary>The issuer revoked it.</summary>
    Revoked = 3,
}
