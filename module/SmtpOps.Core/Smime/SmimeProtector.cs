using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Security;
using SmtpOps.Messages;
using X509KeyUsageFlags = System.Security.Cryptography.X509Certificates.X509KeyUsageFlags;

namespace SmtpOps.Smime;

/// <summary>
/// Applies S/MIME (RFC 8551) to a composed message, the step after composing and before DKIM and submission: a
/// SHA-256 signature (RSA PKCS#1 v1.5 or ECDSA) carrying the signer's chain, detached (multipart/signed) or opaque
/// (signed-data), and encryption with AES-256-CBC to one certificate per recipient; signed first, then encrypted,
/// when both are asked for. These are the algorithms Outlook and Thunderbird read. Works with MimeKit's
/// BouncyCastle context in memory: no certificate database.
/// </summary>
public static class SmimeProtector
{
    private static readonly SecureRandom Random = new();

    /// <summary>
    /// Applies the options to a message from <see cref="MessageComposer.Prepare"/>; what was applied is also
    /// kept on the message (<see cref="ComposedMessage.Smime"/>) for the send result.
    /// </summary>
    /// <param name="message">The composed message; its body is replaced.</param>
    /// <param name="options">What to apply.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>What was applied.</returns>
    /// <exception cref="SmimeException">The signer or a recipient's certificate cannot be used, or a recipient has none; the message is unchanged.</exception>
    public static SmimeProtection Apply(ComposedMessage message, SmimeOptions options, CancellationToken cancellationToken = default)
    {
        if (message is null)
        {
            throw new ArgumentNullException(nameof(message));
        }

        var protection = Protect(message.Message, options, cancellationToken);
        message.Smime = protection;
        return protection;
    }

    /// <summary>Applies the options to a MIME message (the relay's path); see <see cref="Apply"/>.</summary>
    /// <param name="message">The message; its body is replaced.</param>
    /// <param name="options">What to apply.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>What was applied.</returns>
    /// <exception cref="SmimeException">The signer or a recipient's certificate cannot be used, or a recipient has none; the message is unchanged.</exception>
    public static SmimeProtection Protect(MimeMessage message, SmimeOptions options, CancellationToken cancellationToken = default)
    {
        if (message is null)
        {
            throw new ArgumentNullException(nameof(message));
        }

        if (options is null || options.IsEmpty)
        {
            throw new ArgumentException("The options ask for neither a signature nor encryption.", nameof(options));
        }

        var now = DateTime.UtcNow;
        var sender = message.From.Mailboxes.FirstOrDefault()?.Address ?? string.Empty;
        // Everything is checked before the body changes: a refusal leaves the message as composed.
        var chain = options.Signer is { } signer ? CheckSigner(signer, sender, now) : null;
        var recipients = options.EncryptTo is { } set ? ResolveRecipients(message, set, now) : null;

        // A shared generator: seeding a new one for each message's context costs more than the signature.
        using var context = new TemporarySecureMimeContext(Random);
        var body = message.Body ?? throw new ArgumentException("The message has no body.", nameof(message));
        var signed = chain is null ? body : Sign(context, options.Signer!, options.SignatureFormat, body, cancellationToken);
        var result = signed;
        if (recipients is not null)
        {
            var collection = new CmsRecipientCollection();
            foreach (var (_, certificate) in recipients)
            {
                collection.Add(new CmsRecipient(certificate, SubjectIdentifierType.IssuerAndSerialNumber) { EncryptionAlgorithms = new[] { EncryptionAlgorithm.Aes256 } });
            }

            result = ApplicationPkcs7Mime.Encrypt(context, collection, signed, cancellationToken);
        }

        message.Body = result;
        // The entities now inside an opaque signature or the encrypted envelope are written out: their files can close.
        if (!ReferenceEquals(signed, result))
        {
            signed.Dispose();
        }
        else if (options.SignatureFormat == SmimeSignatureFormat.Opaque && chain is not null)
        {
            body.Dispose();
        }

        return new SmimeProtection(
            chain?[0].Thumbprint,
            chain?[0].Subject,
            chain is null ? null : options.SignatureFormat,
            chain?.Count ?? 0,
            recipients?.Select(r => r.Address).ToList() ?? new List<string>());
    }

    private static MimeEntity Sign(SecureMimeContext context, SmimeSigner smimeSigner, SmimeSignatureFormat format, MimeEntity body, CancellationToken cancellationToken)
    {
        var material = smimeSigner.Material;
        var signer = new CmsSigner(material.BouncyCastleChain, material.Key, SubjectIdentifierType.IssuerAndSerialNumber)
        {
            DigestAlgorithm = DigestAlgorithm.Sha256,
        };
        return format == SmimeSignatureFormat.Opaque
            ? ApplicationPkcs7Mime.Sign(context, signer, body, cancellationToken)
            : MultipartSigned.Create(context, signer, body, cancellationToken);
    }

    private static IReadOnlyList<X509Certificate2> CheckSigner(SmimeSigner signer, string sender, DateTime now)
    {
        var certificate = signer.Certificate;
        var name = $"'{certificate.Subject}' ({certificate.Thumbprint})";
        if (!CertificateMailAddresses.IsCurrent(certificate, now))
        {
            throw new SmimeException(SmimeFailureKind.SigningCertificateNotValid, new[] { certificate.Subject }, $"The signing certificate {name} is not valid now (valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}): recipients would see an invalid signature.");
        }

        if (!CertificateMailAddresses.AllowsKeyUsage(certificate, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation)
            || !CertificateMailAddresses.AllowsEmailProtection(certificate))
        {
            throw new SmimeException(SmimeFailureKind.SigningCertificateNotValid, new[] { certificate.Subject }, $"The signing certificate {name} is not for signing e-mail: its key usage must allow digitalSignature and its extended key usage emailProtection.");
        }

        if (!CertificateMailAddresses.Names(certificate, sender))
        {
            var named = CertificateMailAddresses.Of(certificate);
            var names = named.Count == 0 ? "no e-mail address" : string.Join(", ", named);
            throw new SmimeException(SmimeFailureKind.SenderNotInCertificate, new[] { sender }, $"The signing certificate {name} is issued to {names}, not to the sender {sender}: mail clients flag such a signature as not from the sender.");
        }

        // Made once per signer; a key that cannot be used fails here, before the body changes.
        return signer.Material.Chain;
    }

    private static List<(string Address, X509Certificate2 Certificate)> ResolveRecipients(MimeMessage message, RecipientCertificateSet set, DateTime now)
    {
        var addresses = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes)
            .Select(m => m.Address).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var resolved = new List<(string, X509Certificate2)>();
        var missing = new List<string>();
        var unusable = new List<string>();
        foreach (var address in addresses)
        {
            var certificate = set.Find(address);
            if (certificate is null)
            {
                missing.Add(address);
            }
            else if (!CertificateMailAddresses.IsCurrent(certificate, now)
                || !CertificateMailAddresses.AllowsEmailProtection(certificate)
                || !CertificateMailAddresses.AllowsKeyUsage(certificate, X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement))
            {
                unusable.Add($"{address} ('{certificate.Subject}', {certificate.Thumbprint}, valid to {certificate.NotAfter.ToUniversalTime():u})");
            }
            else
            {
                resolved.Add((address, certificate));
            }
        }

        if (missing.Count > 0)
        {
            throw new SmimeException(SmimeFailureKind.MissingRecipientCertificate, missing, $"No encryption certificate for {string.Join(", ", missing)}: the message is not sent encrypted to anyone until every recipient has one.");
        }

        if (unusable.Count > 0)
        {
            throw new SmimeException(SmimeFailureKind.RecipientCertificateNotValid, unusable.Select(u => u.Substring(0, u.IndexOf(' '))).ToList(), $"The encryption certificate of {string.Join("; ", unusable)} is expired, not yet valid, or not for e-mail encryption.");
        }

        return resolved;
    }
}
