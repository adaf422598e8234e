namespace SmtpOps.Dkim;

/// <summary>
/// The DKIM signing algorithms worth using (RFC 8301 retired rsa-sha1; RFC 8463 added ed25519-sha256). The key decides
/// which one applies: an RSA key signs rsa-sha256, an Ed25519 key ed25519-sha256.
/// </summary>
public enum DkimAlgorithm
{
    /// <summary>rsa-sha256 (RFC 6376), read by every verifier; keys of 2048 bits or more are recommended.</summary>
    RsaSha256,

    /// <summary>ed25519-sha256 (RFC 8463): short keys and signatures, but not every verifier reads it yet; sign with both when unsure.</summary>
    Ed25519Sha256,
}
