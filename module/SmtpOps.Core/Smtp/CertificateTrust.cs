namespace SmtpOps.Smtp;

/// <summary>How the TLS policy judged the server's certificate.</summary>
public enum CertificateTrust
{
    /// <summary>Refused: the connection is not used.</summary>
    Refused = 0,

    /// <summary>The chain ends in a trusted root and the certificate names the server.</summary>
    Trusted = 1,

    /// <summary>Accepted because its thumbprint is pinned, whatever its chain.</summary>
    Pinned = 2,

    /// <summary>Accepted without validation because the check was skipped explicitly.</summary>
    Skipped = 3,

    /// <summary>
    /// Not valid, but used for encryption anyway: opportunistic TLS without credentials, where the
    /// alternative would have been plaintext (RFC 7435).
    /// </summary>
    Unvalidated = 4,
}
