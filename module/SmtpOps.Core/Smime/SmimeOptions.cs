namespace SmtpOps.Smime;

/// <summary>
/// What S/MIME to apply to a message: a signature, encryption to every recipient, or both (signed, then encrypted).
/// </summary>
public sealed class SmimeOptions
{
    /// <summary>Gets the signer, or <c>null</c> for no signature.</summary>
    public SmimeSigner? Signer { get; init; }

    /// <summary>Gets how the signature is attached; <see cref="SmimeSignatureFormat.Detached"/> by default.</summary>
    public SmimeSignatureFormat SignatureFormat { get; init; } = SmimeSignatureFormat.Detached;

    /// <summary>
    /// Gets the recipients' certificates to encrypt with, or <c>null</c> for no encryption. When given, every recipient
    /// (To, Cc and Bcc) needs one: a message is never sent encrypted to some and readable by none of the others.
    /// </summary>
    public RecipientCertificateSet? EncryptTo { get; init; }

    /// <summary>Gets whether these options ask for anything.</summary>
    public bool IsEmpty => Signer is null && EncryptTo is null;
}
