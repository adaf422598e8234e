using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Dkim;

/// <summary>What a DKIM signature on a message says: who signed (d=), with which key (s=) and algorithm, and what it covers.</summary>
public sealed class AppliedDkimSignature
{
    /// <summary>Creates the description.</summary>
    /// <param name="domain">The signing domain (d=).</param>
    /// <param name="selector">The selector (s=).</param>
    /// <param name="algorithm">The algorithm (a=), e.g. "rsa-sha256".</param>
    /// <param name="canonicalization">The canonicalization (c=), e.g. "relaxed/relaxed".</param>
    /// <param name="signedHeaders">The header fields signed (h=), in order, repeated names included.</param>
    public AppliedDkimSignature(string domain, string selector, string algorithm, string canonicalization, IReadOnlyList<string> signedHeaders)
    {
        Domain = domain;
        Selector = selector;
        Algorithm = algorithm;
        Canonicalization = canonicalization;
        SignedHeaders = (signedHeaders ?? throw new ArgumentNullException(nameof(signedHeaders))).ToList().AsReadOnly();
    }

    /// <summary>Gets the signing domain (d=).</summary>
    public string Domain { get; }

    /// <summary>Gets the selector (s=): the key is published at &lt;selector&gt;._domainkey.&lt;domain&gt;.</summary>
    public string Selector { get; }

    /// <summary>Gets the algorithm (a=): "rsa-sha256" or "ed25519-sha256".</summary>
    public string Algorithm { get; }

    /// <summary>Gets the canonicalization (c=): header/body, "relaxed/relaxed" here.</summary>
    public string Canonicalization { get; }

    /// <summary>Gets the header fields signed (h=); a name listed once more than it occurs is oversigned (none may be added).</summary>
    public IReadOnlyList<string> SignedHeaders { get; }

    /// <summary>Gets the DNS name of the key record: &lt;selector&gt;._domainkey.&lt;domain&gt;.</summary>
    public string RecordName => $"{Selector}._domainkey.{Domain}";

    /// <summary>Reads the signature tags of a DKIM-Signature field's value.</summary>
    /// <param name="value">The field's value.</param>
    /// <returns>The description; tags that are missing are empty.</returns>
    public static AppliedDkimSignature Parse(string value)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in (value ?? string.Empty).Split(';'))
        {
            var equals = part.IndexOf('=');
            if (equals > 0)
            {
                var key = part.Substring(0, equals).Trim();
                if (!tags.ContainsKey(key))
                {
                    tags[key] = new string(part.Substring(equals + 1).Where(c => !char.IsWhiteSpace(c)).ToArray());
                }
            }
        }

        string Tag(string name) => tags.TryGetValue(name, out var tag) ? tag : string.Empty;
        var headers = Tag("h").Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries);
        return new AppliedDkimSignature(Tag("d"), Tag("s"), Tag("a"), Tag("c").Length == 0 ? "simple/simple" : Tag("c"), headers);
    }

    /// <summary>Says what was applied in the tags' own terms.</summary>
    /// <returns>For example "d=contoso.com; s=mail2026; a=rsa-sha256".</returns>
    public override string ToString() => $"d={Domain}; s={Selector}; a={Algorithm}";
}
