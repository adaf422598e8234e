using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MimeKit;
using MimeKit.Cryptography;
using SmtpOps.Messages;

namespace SmtpOps.Dkim;

/// <summary>
/// Signs finished messages with DKIM (RFC 6376) for one signing domain and selector: relaxed/relaxed canonicalization,
/// no body length limit (l=), From and the fields verifiers and DMARC rely on signed and oversigned (listed once more
/// than they occur, so none can be added in transit). Signing is the last change a message may see: the message is
/// first prepared for any SMTP server (7-bit transfer encodings, short lines), so that the client does not re-encode
/// it on the way out and break the signature. A message whose From domain is not aligned with the signing domain is
/// refused. Thread-safe: one signer may sign many messages.
/// </summary>
public sealed class DkimMessageSigner
{
    // Signed when present and oversigned (one more than present) so that a second instance cannot be slipped in.
    private static readonly string[] OversignedFields =
    {
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    };

    // Signed when present: the fields a reader sees or threads by.
    private static readonly string[] SignedFields =
    {
        "Sender", "In-Reply-To", "References", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Importance", "Priority", "X-Priority",
    };

    private readonly DkimKey key;

    /// <summary>Creates a signer.</summary>
    /// <param name="domain">The signing domain (d=): the From domain or a parent of it.</param>
    /// <param name="selector">The selector (s=): the key is published at &lt;selector&gt;._domainkey.&lt;domain&gt;.</param>
    /// <param name="key">The private key.</param>
    /// <exception cref="DkimException">The domain or selector is not a valid DNS name.</exception>
    public DkimMessageSigner(string domain, string selector, DkimKey key)
    {
        this.key = key ?? throw new ArgumentNullException(nameof(key));
        Domain = NormalizeName(domain, "signing domain", requireDot: true);
        Selector = NormalizeName(selector, "selector", requireDot: false);
    }

    /// <summary>Gets the signing domain (d=), lower case, without a trailing dot.</summary>
    public string Domain { get; }

    /// <summary>Gets the selector (s=).</summary>
    public string Selector { get; }

    /// <summary>Gets the algorithm the key signs with.</summary>
    public DkimAlgorithm Algorithm => key.Algorithm;

    /// <summary>
    /// Whether a From domain is aligned with a signing domain in DMARC's relaxed mode: the same name, or one a
    /// subdomain of the other (both then share the organizational domain, RFC 7489 section 3.1.1).
    /// </summary>
    /// <param name="fromDomain">The domain of the From address.</param>
    /// <param name="signingDomain">The signing domain (d=).</param>
    /// <returns><c>true</c> when aligned.</returns>
    public static bool IsAligned(string fromDomain, string signingDomain)
    {
        var from = ToAscii(fromDomain);
        var signing = ToAscii(signingDomain);
        if (from.Length == 0 || signing.Length == 0)
        {
            return false;
        }

        return string.Equals(from, signing, StringComparison.OrdinalIgnoreCase)
            || from.EndsWith("." + signing, StringComparison.OrdinalIgnoreCase)
            || signing.EndsWith("." + from, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Signs a message from <see cref="MessageComposer.Prepare"/>: the last step before it is submitted.</summary>
    /// <param name="message">The message; nothing may change it after this.</param>
    /// <returns>What was applied.</returns>
    /// <exception cref="DkimException">The From domain is not aligned with the signing domain; the message is unchanged.</exception>
    public AppliedDkimSignature Sign(ComposedMessage message) => Sign((message ?? throw new ArgumentNullException(nameof(message))).Message);

    /// <summary>Signs a finished message: the last step before it is submitted.</summary>
    /// <param name="message">The message; nothing may change it after this.</param>
    /// <returns>What was applied.</returns>
    /// <exception cref="DkimException">The From domain is not aligned with the signing domain; the message is unchanged.</exception>
    public AppliedDkimSignature Sign(MimeMessage message)
    {
        if (message is null)
        {
            throw new ArgumentNullException(nameof(message));
        }

        var from = message.From.Mailboxes.ToList();
        if (from.Count != 1 || !IsAligned(from[0].Domain, Domain))
        {
            var fromDomain = from.Count == 1 ? from[0].Domain : string.Join(", ", from.Select(m => m.Domain));
            throw new DkimException(
                DkimError.Unaligned,
                fromDomain,
                $"The message is not signed: its From domain '{fromDomain}' is not aligned with the DKIM signing domain '{Domain}' (it must be the same domain, a subdomain or a parent of it), so the signature would not count for DMARC. Sign with a key of the From domain.");
        }

        // What MailKit's SmtpClient would do for a server without 8BITMIME, done before signing: once a message
        // carries a DKIM-Signature it is sent as is, so it must already be fit for every server.
        message.Prepare(EncodingConstraint.SevenBit, 78);

        var headers = HeadersToSign(message);
        var signer = new PlatformRsaDkimSigner(key, Domain, Selector)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        signer.Sign(FormatOptions.Default, message, headers);
        return new AppliedDkimSignature(Domain, Selector, key.AlgorithmName, "relaxed/relaxed", headers);
    }

    // MimeKit's signer, with rsa-sha256 computed by the platform's RSA (NativeRsaSigner); Ed25519 stays BouncyCastle's.
    private sealed class PlatformRsaDkimSigner : DkimSigner
    {
        private readonly DkimKey key;

        public PlatformRsaDkimSigner(DkimKey key, string domain, string selector)
            : base(key.PrivateKey, domain, selector, key.Algorithm == DkimAlgorithm.Ed25519Sha256 ? DkimSignatureAlgorithm.Ed25519Sha256 : DkimSignatureAlgorithm.RsaSha256)
            => this.key = key;

        protected override Org.BouncyCastle.Crypto.ISigner CreateSigningContext()
            => key.NativeRsa is { } rsa ? new NativeRsaSigner(rsa) : base.CreateSigningContext();
    }

    // An internationalized From domain is compared in its A-label form, the form d= is written in.
    private static string ToAscii(string? domain)
    {
        var value = (domain ?? string.Empty).Trim().TrimEnd('.');
        try
        {
            return value.Length == 0 ? value : new IdnMapping().GetAscii(value);
        }
        catch (ArgumentException)
        {
            return value;
        }
    }

    private static List<string> HeadersToSign(MimeMessage message)
    {
        var result = new List<string>();
        foreach (var field in OversignedFields)
        {
            var count = Count(message, field);
            result.AddRange(Enumerable.Repeat(field, count + 1));
        }

        foreach (var field in SignedFields)
        {
            result.AddRange(Enumerable.Repeat(field, Count(message, field)));
        }

        return result;
    }

    // MimeKit takes Content-* fields from the top-level entity's headers, the others from the message's.
    private static int Count(MimeMessage message, string field)
    {
        var headers = field.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ? message.Body?.Headers : message.Headers;
        return headers?.Count(h => h.Field.Equals(field, StringComparison.OrdinalIgnoreCase)) ?? 0;
    }

    private static string NormalizeName(string name, string what, bool requireDot)
    {
        var value = (name ?? string.Empty).Trim().TrimEnd('.').ToLowerInvariant();
        var labels = value.Split('.');
        var valid = value.Length is > 0 and <= 253
            && (!requireDot || labels.Length > 1)
            && labels.All(label => label.Length is > 0 and <= 63
                && label.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_')
                && label[0] != '-' && label[label.Length - 1] != '-');
        if (!valid)
        {
            throw new DkimException(DkimError.InvalidName, name, string.Format(CultureInfo.InvariantCulture, "'{0}' is not a valid DKIM {1} (DNS labels of letters, digits, '-' and '_'{2}).", name, what, requireDot ? ", at least two of them" : string.Empty));
        }

        return value;
    }
}
