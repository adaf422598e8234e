namespace SmtpOps.Smime;

/// <summary>How an S/MIME signature is attached to a message (RFC 8551 section 3.5).</summary>
public enum SmimeSignatureFormat
{
    /// <summary>
    /// multipart/signed: the content stays readable by any client, the signature is a separate
    /// application/pkcs7-signature part. What Outlook and Thunderbird send by default.
    /// </summary>
    Detached = 0,

    /// <summary>
    /// application/pkcs7-mime; smime-type=signed-data: the content is inside the signature, so only an
    /// S/MIME-capable client shows it, but no gateway can alter it without breaking the signature.
    /// </summary>
    Opaque = 1,
}
