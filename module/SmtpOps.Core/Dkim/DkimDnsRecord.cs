using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace SmtpOps.Dkim;

/// <summary>The DNS TXT record that publishes a DKIM key, ready to paste into a DNS provider or a zone file.</summary>
public sealed class DkimDnsRecord
{
    /// <summary>Creates the record for a key.</summary>
    /// <param name="domain">The signing domain.</param>
    /// <param name="selector">The selector.</param>
    /// <param name="key">The key whose public half is published.</param>
    /// <param name="privateKeyPath">Where the private key was written, or <c>null</c>.</param>
    public DkimDnsRecord(string domain, string selector, DkimKey key, string? privateKeyPath)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key));
        }

        // The same validation and normal form the signer applies.
        var signer = new DkimMessageSigner(domain, selector, key);
        Domain = signer.Domain;
        Selector = signer.Selector;
        Algorithm = key.Algorithm;
        KeySize = key.KeySize;
        RecordValue = DkimPublicKeyRecord.Format(key);
        PrivateKeyPath = privateKeyPath;
    }

    /// <summary>Gets the signing domain (d=).</summary>
    public string Domain { get; }

    /// <summary>Gets the selector (s=).</summary>
    public string Selector { get; }

    /// <summary>Gets the algorithm the key signs with.</summary>
    public DkimAlgorithm Algorithm { get; }

    /// <summary>Gets the key size in bits.</summary>
    public int KeySize { get; }

    /// <summary>Gets the record's name: &lt;selector&gt;._domainkey.&lt;domain&gt;.</summary>
    public string RecordName => $"{Selector}._domainkey.{Domain}";

    /// <summary>Gets the record's text, e.g. "v=DKIM1; k=rsa; p=MIIBIjANBg...".</summary>
    public string RecordValue { get; }

    /// <summary>
    /// Gets the text as the character-strings of at most 255 bytes one TXT record is made of (an RSA 2048 key needs two;
    /// most DNS providers split a long value themselves, zone files and some providers need it done).
    /// </summary>
    public IReadOnlyList<string> RecordStrings => Split(RecordValue).AsReadOnly();

    /// <summary>Gets the record as a zone-file line (BIND syntax), the long text split into quoted strings.</summary>
    public string ZoneFileLine
    {
        get
        {
            var builder = new StringBuilder(RecordName).Append(". IN TXT (");
            foreach (var part in Split(RecordValue))
            {
                builder.Append(" \"").Append(part).Append('"');
            }

            return builder.Append(" )").ToString();
        }
    }

    /// <summary>Gets where the private key was written, or <c>null</c>.</summary>
    public string? PrivateKeyPath { get; }

    private static List<string> Split(string value)
    {
        var parts = new List<string>();
        for (var i = 0; i < value.Length; i += 255)
        {
            parts.Add(value.Substring(i, Math.Min(255, value.Length - i)));
        }

        return parts.Count == 0 ? new List<string> { string.Empty } : parts.ToList();
    }
}
