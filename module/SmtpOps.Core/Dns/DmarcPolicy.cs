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
}
