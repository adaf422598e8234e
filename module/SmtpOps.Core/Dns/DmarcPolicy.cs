using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>
/// The DMARC record that applies to a domain (RFC 7489; DMARCbis, draft-ietf-dmarc-dmarcbis):
/// the domain's own _dmarc TXT record or, when it has none, the record of its organizational
/// domain or public suffix domain found by the DNS tree walk, with every tag parsed and the
/// policy that applies to the domain worked out (p, or sp/np for a subdomain).
/// </summary>
public sealed record DmarcPolicy
{
    private static readonly string[] Requests = { "none", "quarantine", "reject" };

    /// <summary>Creates the record of a domain as found at _dmarc.&lt;domain&gt; (not a fallback).</summary>
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
    public string Record { get; init; }

    /// <summary>Gets the domain whose _dmarc record this is: the domain asked about, or the one the tree walk fell back to.</summary>
    public string Domain { get; init; } = string.Empty;

    /// <summary>Gets the domain asked about (the author domain of mail it would cover).</summary>
    public string AuthorDomain { get; init; } = string.Empty;

    /// <summary>
    /// Gets the organizational domain of <see cref="AuthorDomain"/> as the DMARCbis DNS tree walk determines it
    /// (psd=n, the label below a psd=y, or the record with the fewest labels; no public suffix list).
    /// </summary>
    public string OrganizationalDomain { get; init; } = string.Empty;

    /// <summary>Gets whether <see cref="AuthorDomain"/> exists in DNS; for a fallback that does not, np= applies.</summary>
    public bool AuthorDomainExists { get; init; } = true;

    /// <summary>Gets whether the record is not the author domain's own but its organizational or public suffix domain's.</summary>
    public bool IsFallback => !string.Equals(Domain, AuthorDomain, StringComparison.OrdinalIgnoreCase);

    /// <summary>Gets the requested policy (none, quarantine, reject), or <c>null</c> when the record has no valid p tag.</summary>
    public string? Policy { get; init; }

    /// <summary>Gets the policy for existing subdomains (sp), or <c>null</c> when it is not set or invalid.</summary>
    public string? SubdomainPolicy { get; init; }

    /// <summary>Gets the policy for non-existent subdomains (np, DMARCbis), or <c>null</c> when it is not set or invalid.</summary>
    public string? NonExistentSubdomainPolicy { get; init; }

    /// <summary>Gets the share of failing mail the policy is applied to (pct, RFC 7489; 100 when absent or invalid).</summary>
    public int Percentage { get; init; } = 100;

    /// <summary>Gets the DKIM alignment mode: r (relaxed, the default) or s (strict).</summary>
    public string DkimAlignment { get; init; } = "r";

    /// <summary>Gets the SPF alignment mode: r (relaxed, the default) or s (strict).</summary>
    public string SpfAlignment { get; init; } = "r";

    /// <summary>Gets the failure reporting options (fo: 0, 1, d, s separated by colons; 0 when absent or invalid).</summary>
    public string FailureReportingOptions { get; init; } = "0";

    /// <summary>Gets the requested interval between aggregate reports in seconds (ri; 86400 when absent or invalid).</summary>
    public long ReportInterval { get; init; } = 86400;

    /// <summary>Gets the failure report format (rf; afrf, the only one defined).</summary>
    public string ReportFormat { get; init; } = "afrf";

    /// <summary>Gets the public suffix flag (psd, DMARCbis): y, n or u (the default).</summary>
    public string PublicSuffix { get; init; } = "u";

    /// <summary>Gets whether the record asks receivers to test rather than apply the policy (t=y, DMARCbis).</summary>
    public bool IsTestMode { get; init; }

    /// <summary>Gets where aggregate reports go (rua), as listed.</summary>
    public IReadOnlyList<string> ReportUris { get; init; }

    /// <summary>Gets where failure reports go (ruf), as listed.</summary>
    public IReadOnlyList<string> FailureReportUris { get; init; } = Array.Empty<string>();

    /// <summary>Gets every rua and ruf destination parsed: scheme, size limit, domain and external authorization.</summary>
    public IReadOnlyList<DmarcReportUri> ReportDestinations { get; init; } = Array.Empty<DmarcReportUri>();

    /// <summary>
    /// Gets the policy receivers apply to mail from <see cref="AuthorDomain"/> that fails DMARC: p= of the domain's own
    /// record; for a fallback, sp= (or np= when the domain does not exist), then p=. A record without a valid p= (or
    /// with an invalid sp= or np=) counts as p=none when it has a valid rua= and as no policy otherwise (RFC 7489
    /// section 6.6.3). <c>null</c>: receivers apply no DMARC policy.
    /// </summary>
    public string? AppliedPolicy => Applied().Policy;

    /// <summary>Gets the tag <see cref="AppliedPolicy"/> comes from (p, sp or np), or <c>null</c> when it comes from no tag.</summary>
    public string? AppliedPolicyTag => Applied().Tag;

    /// <summary>Gets one line that says which policy applies to <see cref="AuthorDomain"/>, from which record and tag, and why.</summary>
    public string Verdict
    {
        get
        {
            var (policy, tag) = Applied();
            var source = IsFallback
                ? $"{Domain}, {(PublicSuffix == "y" ? "its public suffix domain (psd=y)" : "its organizational domain")}; {AuthorDomain} {(AuthorDomainExists ? "publishes no DMARC record of its own" : "does not exist")}"
                : AuthorDomain;
            string text;
            if (tag is null)
            {
                text = policy is null
                    ? $"no DMARC policy: the record of {source} has no valid p= (or an invalid sp=/np=) and no valid rua= (RFC 7489 section 6.6.3)"
                    : $"none: the record of {source} has no valid p= (or an invalid sp=/np=), receivers act as p=none because it has a valid rua= (RFC 7489 section 6.6.3)";
            }
            else
            {
                text = $"{policy} ({tag}= of {source})";
            }

            if (policy is "quarantine" or "reject")
            {
                if (IsTestMode)
                {
                    text += $"; t=y: the owner is testing, receivers apply {(policy == "reject" ? "quarantine" : "none")}";
                }

                if (Percentage < 100)
                {
                    text += $"; pct={Percentage.ToString(CultureInfo.InvariantCulture)}: applied to {Percentage.ToString(CultureInfo.InvariantCulture)}% of failing mail only";
                }
            }

            return text;
        }
    }

    /// <summary>Whether p=, sp= or np= is present with a value that is not none, quarantine or reject.</summary>
    internal bool HasInvalidPolicyTag { get; init; }

    /// <summary>
    /// Finds and parses the DMARC record among the TXT texts at _dmarc.&lt;domain&gt;, validating every tag (RFC 7489
    /// section 6.3, DMARCbis section 4.7): invalid values give warnings and fall back to the defaults, unknown tags
    /// are ignored. Several records give none (RFC 7489 section 6.6.3); a record without a valid p= tag is kept with
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

        var record = records[0];
        if (!record.StartsWith("v=DMARC1", StringComparison.Ordinal))
        {
            warnings.Add($"The DMARC record of {domain} starts with '{record.Substring(0, "v=DMARC1".Length)}': the version is case-sensitive and must be v=DMARC1 (RFC 7489 section 6.4); receivers ignore the record.");
            return null;
        }

        var tags = TxtRecordSyntax.Tags(record);
        tags.TryGetValue("p", out var policy);
        if (policy is null || !IsRequest(policy))
        {
            warnings.Add($"The DMARC record of {domain} has no valid p= tag (none, quarantine or reject): '{record}'.");
            policy = null;
        }

        var invalidPolicyTag = tags.ContainsKey("p") && policy is null;
        foreach (var part in record.Split(';').Skip(1).Select(p => p.Trim()).Where(p => p.Length > 0 && p.IndexOf('=') <= 0))
        {
            warnings.Add($"The DMARC record of {domain} has '{part}', which is not a tag=value pair (RFC 7489 section 6.4): receivers ignore it.");
        }

        var subdomainPolicy = Request(domain, tags, "sp", "RFC 7489 section 6.3", warnings, ref invalidPolicyTag);
        var nonExistentPolicy = Request(domain, tags, "np", "DMARCbis section 4.7", warnings, ref invalidPolicyTag);
        var rua = TxtRecordSyntax.Uris(tags, "rua");
        var ruf = TxtRecordSyntax.Uris(tags, "ruf");
        var destinations = rua.Select(u => DmarcReportUri.Parse(domain, "rua", u, warnings))
            .Concat(ruf.Select(u => DmarcReportUri.Parse(domain, "ruf", u, warnings)))
            .ToList();

        return new DmarcPolicy(record, policy?.ToLowerInvariant(), subdomainPolicy, rua)
        {
            Domain = domain,
            AuthorDomain = domain,
            OrganizationalDomain = domain,
            NonExistentSubdomainPolicy = nonExistentPolicy,
            HasInvalidPolicyTag = invalidPolicyTag,
            Percentage = Value<int?>(domain, tags, "pct", v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var pct) && pct <= 100 ? pct : (int?)null, "an integer from 0 to 100 (RFC 7489 section 6.3): receivers apply the policy to all failing mail", warnings) ?? 100,
            DkimAlignment = Keyword(domain, tags, "adkim", new[] { "r", "s" }, "r or s (RFC 7489 section 6.3): receivers use relaxed alignment", warnings) ?? "r",
            SpfAlignment = Keyword(domain, tags, "aspf", new[] { "r", "s" }, "r or s (RFC 7489 section 6.3): receivers use relaxed alignment", warnings) ?? "r",
            FailureReportingOptions = Value<string>(domain, tags, "fo", ParseFailureOptions, "0, 1, d or s, separated by colons (RFC 7489 section 6.3): receivers use fo=0", warnings) ?? "0",
            ReportInterval = Value<long?>(domain, tags, "ri", v => uint.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var ri) ? (long?)ri : null, "a whole number of seconds (RFC 7489 section 6.3): receivers use 86400", warnings) ?? 86400,
            ReportFormat = Value<string>(domain, tags, "rf", v => v.Split(':').All(f => f.Trim().Equals("afrf", StringComparison.OrdinalIgnoreCase)) ? "afrf" : null, "afrf, the only failure report format defined (RFC 7489 section 6.3)", warnings) ?? "afrf",
            PublicSuffix = Keyword(domain, tags, "psd", new[] { "y", "n", "u" }, "y, n or u (DMARCbis section 4.7): receivers use psd=u", warnings) ?? "u",
            IsTestMode = Keyword(domain, tags, "t", new[] { "y", "n" }, "y or n (DMARCbis section 4.7): receivers use t=n", warnings) == "y",
            FailureReportUris = ruf.AsReadOnly(),
            ReportDestinations = destinations.AsReadOnly(),
        };
    }

    private (string? Policy, string? Tag) Applied()
    {
        if (Policy is null || HasInvalidPolicyTag)
        {
            return (ReportDestinations.Any(d => d.Tag == "rua" && d.IsValid) ? "none" : null, null);
        }

        if (!IsFallback)
        {
            return (Policy, "p");
        }

        if (!AuthorDomainExists && NonExistentSubdomainPolicy is { } np)
        {
            return (np, "np");
        }

        return SubdomainPolicy is { } sp ? (sp, "sp") : (Policy, "p");
    }

    private static bool IsRequest(string value) => Requests.Contains(value, StringComparer.OrdinalIgnoreCase);

    private static string? Request(string domain, Dictionary<string, string> tags, string tag, string reference, ICollection<string> warnings, ref bool invalid)
    {
        if (!tags.TryGetValue(tag, out var value))
        {
            return null;
        }

        if (IsRequest(value))
        {
            return value.ToLowerInvariant();
        }

        invalid = true;
        warnings.Add($"The DMARC record of {domain} has {tag}={value}, which is not none, quarantine or reject ({reference}): receivers then act as if the record said p=none, or ignore it without a valid rua= (RFC 7489 section 6.6.3).");
        return null;
    }

    private static string? Keyword(string domain, Dictionary<string, string> tags, string tag, string[] allowed, string expected, ICollection<string> warnings) =>
        Value<string>(domain, tags, tag, v => allowed.FirstOrDefault(a => a.Equals(v, StringComparison.OrdinalIgnoreCase)), expected, warnings);

    private static T? Value<T>(string domain, Dictionary<string, string> tags, string tag, Func<string, T?> parse, string expected, ICollection<string> warnings)
    {
        if (!tags.TryGetValue(tag, out var value))
        {
            return default;
        }

        var parsed = parse(value);
        if (parsed is null)
        {
            warnings.Add($"The DMARC record of {domain} has {tag}={value}, which is not {expected}.");
        }

        return parsed;
    }

    private static string? ParseFailureOptions(string value)
    {
        var options = value.Split(':').Select(o => o.Trim().ToLowerInvariant()).ToList();
        return options.All(o => o is "0" or "1" or "d" or "s") && options.Distinct().Count() == options.Count ? string.Join(":", options) : null;
    }
}
