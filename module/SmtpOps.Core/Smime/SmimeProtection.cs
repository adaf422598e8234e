using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Smime;

/// <summary>What S/MIME protection was applied to a message: the signer and the recipients it was encrypted for.</summary>
public sealed class SmimeProtection
{
    /// <summary>Creates the description.</summary>
    /// <param name="signerThumbprint">The SHA-1 thumbprint of the signing certificate, or <c>null</c> when not signed.</param>
    /// <param name="signerSubject">The subject of the signing certificate, or <c>null</c> when not signed.</param>
    /// <param name="signatureFormat">How the signature is attached, or <c>null</c> when not signed.</param>
    /// <param name="chainLength">How many certificates the signature carries (the signer's and its intermediates).</param>
    /// <param name="encryptedFor">The recipient addresses the message is encrypted for (empty when not encrypted).</param>
    public SmimeProtection(string? signerThumbprint, string? signerSubject, SmimeSignatureFormat? signatureFormat, int chainLength, IReadOnlyList<string> encryptedFor)
    {
        SignerThumbprint = signerThumbprint;
        SignerSubject = signerSubject;
        SignatureFormat = signatureFormat;
        ChainLength = chainLength;
        EncryptedFor = (encryptedFor ?? Enumerable.Empty<string>()).ToList().AsReadOnly();
    }

    /// <summary>Gets whether the message is signed.</summary>
    public bool Signed => SignerThumbprint is not null;

    /// <summary>Gets whether the message is encrypted.</summary>
    public bool Encrypted => EncryptedFor.Count > 0;

    /// <summary>Gets the SHA-1 thumbprint of the signing certificate (as Windows shows it), or <c>null</c> when not signed.</summary>
    public string? SignerThumbprint { get; }

    /// <summary>Gets the subject of the signing certificate, or <c>null</c> when not signed.</summary>
    public string? SignerSubject { get; }

    /// <summary>Gets how the signature is attached, or <c>null</c> when not signed.</summary>
    public SmimeSignatureFormat? SignatureFormat { get; }

    /// <summary>Gets how many certificates the signature carries: the signer's and the intermediates up to (not including) a self-signed root.</summary>
    public int ChainLength { get; }

    /// <summary>Gets the digest algorithm of the signature ("SHA-256"), or <c>null</c> when not signed.</summary>
    public string? DigestAlgorithm => Signed ? "SHA-256" : null;

    /// <summary>Gets the content encryption algorithm ("AES-256-CBC"), or <c>null</c> when not encrypted.</summary>
    public string? EncryptionAlgorithm => Encrypted ? "AES-256-CBC" : null;

    /// <summary>Gets the recipient addresses the message is encrypted for (To, Cc and Bcc), empty when not encrypted.</summary>
    public IReadOnlyList<string> EncryptedFor { get; }

    /// <summary>Says what was applied in one line, e.g. "signed by 3F2A… (Detached, SHA-256); encrypted for a@b.com (AES-256-CBC)".</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        var signed = Signed ? $"signed by {SignerThumbprint} ({SignatureFormat}, {DigestAlgorithm})" : "not signed";
        var encrypted = Encrypted ? $"encrypted for {string.Join(", ", EncryptedFor)} ({EncryptionAlgorithm})" : "not encrypted";
        return signed + "; " + encrypted;
    }
}
