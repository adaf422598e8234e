using System;
using System.Collections.Generic;
using System.Linq;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace SmtpOps.Dkim;

/// <summary>
/// A DKIM key record (RFC 6376 section 3.6.1), the TXT text at &lt;selector&gt;._domainkey.&lt;domain&gt;:
/// "v=DKIM1; k=rsa; p=&lt;Base64 public key&gt;". An empty p= means the key was revoked.
/// </summary>
public sealed class DkimPublicKeyRecord
{
    private DkimPublicKeyRecord(string text, string keyType, string publicKey, bool testing)
    {
        Text = text;
        KeyType = keyType;
        PublicKey = publicKey;
        IsTesting = testing;
    }

    /// <summary>Gets the record's text.</summary>
    public string Text { get; }

    /// <summary>Gets the key type (k=): "rsa" when the tag is missing, or "ed25519".</summary>
    public string KeyType { get; }

    /// <summary>Gets the public key (p=), Base64 without spaces; empty when the key is revoked.</summary>
    public string PublicKey { get; }

    /// <summary>Gets whether the key is revoked (empty p=).</summary>
    public bool IsRevoked => PublicKey.Length == 0;

    /// <summary>Gets whether the domain says it is testing DKIM (t=y): verifiers must not treat failures differently from unsigned mail.</summary>
    public bool IsTesting { get; }

    /// <summary>Writes the record that publishes a key.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The TXT text, e.g. "v=DKIM1; k=rsa; p=MIIBIjANBg...".</returns>
    public static string Format(DkimKey key) => $"v=DKIM1; k={(key ?? throw new ArgumentNullException(nameof(key))).KeyType}; p={key.PublicKeyBase64}";

    /// <summary>Parses a TXT text as a DKIM key record.</summary>
    /// <param name="text">The text (a record's strings already joined).</param>
    /// <param name="error">Why it is not a key record, when it is not.</param>
    /// <returns>The record, or <c>null</c> with <paramref name="error"/> set.</returns>
    public static DkimPublicKeyRecord? TryParse(string text, out string? error)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var first = true;
        foreach (var part in (text ?? string.Empty).Split(';'))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                continue;
            }

            var name = part.Substring(0, equals).Trim();
            var value = new string(part.Substring(equals + 1).Where(c => !char.IsWhiteSpace(c)).ToArray());
            if (name == "v" && (!first || value != "DKIM1"))
            {
                error = "v= must come first and be DKIM1.";
                return null;
            }

            first = false;
            if (!tags.ContainsKey(name))
            {
                tags[name] = value;
            }
        }

        if (!tags.TryGetValue("p", out var publicKey))
        {
            error = "The record has no p= tag.";
            return null;
        }

        var keyType = tags.TryGetValue("k", out var k) ? k.ToLowerInvariant() : "rsa";
        var testing = tags.TryGetValue("t", out var flags) && flags.Split(':').Contains("y");
        error = null;
        return new DkimPublicKeyRecord(text!, keyType, publicKey, testing);
    }

    /// <summary>Whether the record publishes the public half of a key.</summary>
    /// <param name="key">The key.</param>
    /// <returns><c>true</c> when the record's key type and public key are the key's.</returns>
    public bool Publishes(DkimKey key)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key));
        }

        if (IsRevoked || KeyType != key.KeyType)
        {
            return false;
        }

        byte[] published;
        try
        {
            published = Convert.FromBase64String(PublicKey);
        }
        catch (FormatException)
        {
            return false;
        }

        return key.PublicKey switch
        {
            Ed25519PublicKeyParameters ed25519 => published.SequenceEqual(ed25519.GetEncoded()),
            RsaKeyParameters rsa => ReadRsa(published) is { } found && found.Modulus.Equals(rsa.Modulus) && found.Exponent.Equals(rsa.Exponent),
            _ => false,
        };
    }

    // The p= of an RSA key: a SubjectPublicKeyInfo (what opendkim-genkey and this module publish) or, as some
    // tools write it, a bare PKCS#1 RSAPublicKey.
    private static RsaKeyParameters? ReadRsa(byte[] der)
    {
        try
        {
            return PublicKeyFactory.CreateKey(SubjectPublicKeyInfo.GetInstance(Asn1Object.FromByteArray(der))) as RsaKeyParameters;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or System.IO.IOException or SecurityUtilityException or InvalidOperationException)
        {
        }

        try
        {
            var structure = RsaPublicKeyStructure.GetInstance(Asn1Object.FromByteArray(der));
            return new RsaKeyParameters(false, structure.Modulus, structure.PublicExponent);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or System.IO.IOException or InvalidOperationException)
        {
            return null;
        }
    }
}
