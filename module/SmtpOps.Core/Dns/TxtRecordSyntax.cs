using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>
/// The syntax the mail-policy TXT records share: a version tag that must come first (v=spf1,
/// v=DMARC1, v=STSv1, v=TLSRPTv1) and, for all but SPF, "tag=value" pairs separated by ';'.
/// </summary>
internal static class TxtRecordSyntax
{
    /// <summary>Picks the records of one kind from every TXT text at a name.</summary>
    /// <param name="texts">The TXT texts (each record's strings already joined, RFC 7208 section 3.3).</param>
    /// <param name="version">The version tag, e.g. "v=spf1".</param>
    /// <returns>The texts that start with the tag followed by a space, a ';' or nothing.</returns>
    public static List<string> WithVersion(IEnumerable<string> texts, string version)
        => texts.Where(t => t.StartsWith(version, StringComparison.OrdinalIgnoreCase)
            && (t.Length == version.Length || t[version.Length] is ' ' or ';')).ToList();

    /// <summary>Parses "tag=value; tag=value"; the first occurrence of a tag wins, tags are case-insensitive.</summary>
    /// <param name="record">The record text.</param>
    /// <returns>The tags and their trimmed values.</returns>
    public static Dictionary<string, string> Tags(string record)
    {
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in record.Split(';'))
        {
            var equals = part.IndexOf('=');
            if (equals > 0)
            {
                var key = part.Substring(0, equals).Trim();
                if (!tags.ContainsKey(key))
                {
                    tags[key] = part.Substring(equals + 1).Trim();
                }
            }
        }

        return tags;
    }

    /// <summary>Splits a comma-separated URI list such as rua=mailto:a@x,mailto:b@x.</summary>
    /// <param name="tags">The record's tags.</param>
    /// <param name="key">The tag holding the list.</param>
    /// <returns>The URIs; empty when the tag is missing.</returns>
    public static List<string> Uris(Dictionary<string, string> tags, string key) =>
        tags.TryGetValue(key, out var value)
            ? value.Split(',').Select(u => u.Trim()).Where(u => u.Length > 0).ToList()
            : new List<string>();
}
