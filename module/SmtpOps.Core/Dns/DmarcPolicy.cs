using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>A domain's DMARC record (RFC 7489, _dmarc TXT).</summary>
public sealed class DmarcPolicy
{
    /// <summary>Creates the record.</summary>
    /// <param name="record">The TXT record text.</param>
    /// <param name="policy">The p tag (none, quarantine, reject), or <c>null</c> when missing or invalid.</param>
    /// <param name="subdomainPolicy">The sp tag, or <c>null</c>.</param>
    /// <param name="reportUris">Where aggregate reports go (the rua tag).</param>
    public DmarcPolicy(string record, string? policy, string? subdomainPolicy, IEnumerable<string> reportUris)
    {
        Record = record;
        Policy = policy;
        SubdomainPolicy = subdomainPolicy;
        ReportUris = reportUris.ToList().AsReadOnly();
    }

    /// <summary>Gets the TXT record, e.g. "v=DMARC1; p=reject; rua=mailto:dmarc@contoso.com".</summary>
    public string Record { get; }

    /// <summary>Gets the requested policy (none, quarantine, reject), or <c>null</c> when the record has no valid p tag.</summary>
    public string? Policy { get; }

    /// <summary>Gets the policy for subdomains (sp), or <c>null</c> when it is not set.</summary>
    public string? SubdomainPolicy { get; }

    /// <summary>Gets where aggregate reports go (rua).</summary>
    public IReadOnlyList<string> ReportUris { get; }

    /// <summary>
    /// Finds and parses the DMARC record among the TXT texts at _dmarc.&lt;domain&gt;. Several
    /// records give none (RFC 7489 section 6.6.3); a record without a valid p= tag is kept with
    /// <see cref="Policy"/> <c>null</c> and a warning.
    /// </summary>
    /// <param name="domain">The domain, for the warnings.</param>
    /// <param name="texts">Every TXT text at _dmarc.&lt;domain&gt;.</param>
    /// <param name="warnings">Where problems with the record are added.</param>
    /// <returns>The record, or <c>null</c> when there is none or more than one.</returns>
    internal static DmarcPolicy? Parse(string domain, IEnumerable<string> texts, ICollection<string> warnings)
    {
        var records = TxtRecordSyntax.WithVersion(texts, "v=DMARC1");
        if (records.Count > 1)
        {
            warnings.Add($"{domain} publishes {records.Count} DMARC records; receivers then apply no DMARC policy (RFC 7489 section 6.6.3).");
            return null;
        }

        if (records.Count == 0)
        {
            return null;
        }

        var tags = TxtRecordSyntax.Tags(records[0]);
        tags.TryGetValue("p", out var policy);
        if (policy is null || !(policy.Equals("none", StringComparison.OrdinalIgnoreCase) || policy.Equals("quarantine", StringComparison.OrdinalIgnoreCase) || policy.Equals("reject", StringComparison.OrdinalIgnoreCase)))
        {
            warnings.Add($"The DMARC record of {domain} has no valid p= tag (none, quarantine or reject): '{records[0]}'.");
            policy = null;
        }

        tags.TryGetValue("sp", out var subdomainPolicy);
        return new DmarcPolicy(records[0], policy?.ToLowerInvariant(), subdomainPolicy?.ToLowerInvariant(), TxtRecordSyntax.Uris(tags, "rua"));
    }
}
