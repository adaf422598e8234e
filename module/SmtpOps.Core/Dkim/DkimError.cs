namespace SmtpOps.Dkim;

/// <summary>Why a DKIM key could not be used or a message was not signed.</summary>
public enum DkimError
{
    /// <summary>The key file does not exist or cannot be read.</summary>
    KeyNotFound,

    /// <summary>The text is not a PEM private key this module reads (unencrypted PKCS#1 RSA or PKCS#8 RSA/Ed25519).</summary>
    KeyUnreadable,

    /// <summary>The key is of a kind or size DKIM must not use (RSA below 1024 bits, EC keys other than Ed25519, a non-exportable certificate key).</summary>
    KeyUnsupported,

    /// <summary>The signing domain or selector is not a valid DNS name.</summary>
    InvalidName,

    /// <summary>The From domain is not aligned with the signing domain: the signature would not help DMARC, so the message is not signed.</summary>
    Unaligned,
}
