namespace SmtpOps.Smime;

/// <summary>Why S/MIME could not be applied to a message.</summary>
public enum SmimeFailureKind
{
    /// <summary>The signing certificate has no private key, or its key cannot be used for signing (not exportable, unsupported type).</summary>
    SigningKeyUnusable = 0,

    /// <summary>The signing certificate is not valid now, or its key usage or extended key usage forbids e-mail signing.</summary>
    SigningCertificateNotValid = 1,

    /// <summary>The message's From address is not an address the signing certificate is issued to.</summary>
    SenderNotInCertificate = 2,

    /// <summary>A recipient has no encryption certificate: the message is not sent to anyone.</summary>
    MissingRecipientCertificate = 3,

    /// <summary>A recipient's certificate is not valid now, or cannot be used for encryption.</summary>
    RecipientCertificateNotValid = 4,

    /// <summary>A certificate file (PFX, .cer, .pem) cannot be read: missing, not a certificate, or a wrong password.</summary>
    CertificateFileUnreadable = 5,
}
