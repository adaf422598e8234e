using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;

namespace SmtpOps.Dns;

/// <summary>
/// Reads a domain's mail-security records (MTA-STS, TLS-RPT, SPF, DMARC, DANE TLSA). Malformed
/// records and failed lookups become warnings; nothing here throws for the domain's content.
/// </summary>
internal sealed class MailPolicyReader
{
    // RFC 8461 section 3.3: no redirects when fetching the policy.
    private static readonly HttpClient Http = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    private static readonly Regex StsId = new("^[A-Za-z0-9]{1,32}$", RegexOptions.CultureInvariant);
    private static readonly Regex SpfAll = new("^[+\\-~?]?all$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    private readonly DnsLookup lookup;
    private readonly MxResolverOptions options;

    public MailPolicyReader(DnsLookup lookup, MxResolverOptions options)
    {
        this.lookup = lookup;
        this.options = options;
    }

    public async Task<MailDomainPolicy> ReadAsync(string domain, IReadOnlyList<string> exchanges, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var spfTxt = ReadTxtAsync(domain, domain, "SPF", cancellationToken);
        var dmarcTxt = ReadTxtAsync(domain, "_dmarc." + domain, "DMARC", cancellationToken);
        var stsTxt = ReadTxtAsync(domain, "_mta-sts." + domain, "MTA-STS", cancellationToken);
        var rptTxt = ReadTxtAsync(domain, "_smtp._tls." + domain, "TLS-RPT", cancellationToken);

        var spf = ReadSpf(domain, Select(await spfTxt.ConfigureAwait(false), "v=spf1", warnings), warnings);
        var dmarc = ReadDmarc(domain, Select(await dmarcTxt.ConfigureAwait(false), "v=DMARC1", warnings), warnings);
        var tlsRpt = ReadTlsReporting(domain, Select(await rptTxt.ConfigureAwait(false), "v=TLSRPTv1", warnings), warnings);
        var mtaSts = await ReadMtaStsAsync(domain, Select(await stsTxt.ConfigureAwait(false), "v=STSv1", warnings), exchanges, warnings, cancellationToken).ConfigureAwait(false);
        return new MailDomainPolicy(domain, mtaSts, tlsRpt, spf, dmarc, warnings);
    }

    public async Task<TlsaRecordSet> ReadTlsaAsync(string domain, string exchange, CancellationToken cancellationToken)
    {
        var name = "_25._tcp." + exchange;
        try
        {
            var response = await lookup.QueryAsync(domain, name, QueryType.TLSA, cancellationToken, dnssec: true).ConfigureAwait(false);
            var code = response.Header.ResponseCode;
            if (code is not (DnsHeaderResponseCode.NoError or DnsHeaderResponseCode.NotExistentDomain))
            {
                return new TlsaRecordSet(name, Array.Empty<TlsaAssociation>(), false, $"The TLSA lookup of {name} failed temporarily ({DnsLookup.ResponseCodeName(response)}): DANE status unknown.");
            }

            var records = response.Answers.TlsaRecords()
                .Select(r => new TlsaAssociation((int)r.CertificateUsage, (int)r.Selector, (int)r.MatchingType, r.CertificateAssociationDataAsString.ToLowerInvariant()));
            return new TlsaRecordSet(name, records, response.Header.IsAuthenticData);
        }
        catch (DnsResolutionException ex)
        {
            return new TlsaRecordSet(name, Array.Empty<TlsaAssociation>(), false, $"The TLSA lookup of {name} failed temporarily ({(ex.Kind == DnsFailureKind.Timeout ? "timeout" : ex.ResponseCode ?? "error")}): DANE status unknown.");
        }
    }

    private async Task<TxtAnswer> ReadTxtAsync(string domain, string name, string what, CancellationToken cancellationToken)
    {
        try
        {
            var response = await lookup.QueryAsync(domain, name, QueryType.TXT, cancellationToken).ConfigureAwait(false);
            var code = response.Header.ResponseCode;
            if (code is not (DnsHeaderResponseCode.NoError or DnsHeaderResponseCode.NotExistentDomain))
            {
                return new TxtAnswer(Array.Empty<string>(), $"The {what} lookup (TXT {name}) failed temporarily ({DnsLookup.ResponseCodeName(response)}): {what} status unknown.");
            }

            // A TXT record may be split into several strings: they are one text (RFC 7208 section 3.3).
            var texts = response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).ToList();
            return new TxtAnswer(texts, null);
        }
        catch (DnsResolutionException ex)
        {
            return new TxtAnswer(Array.Empty<string>(), $"The {what} lookup (TXT {name}) failed temporarily ({(ex.Kind == DnsFailureKind.Timeout ? "timeout" : ex.ResponseCode ?? "error")}): {what} status unknown.");
        }
    }

    private static List<string> Select(TxtAnswer answer, string version, List<string> warnings)
    {
        if (answer.Failure is not null)
        {
            warnings.Add(answer.Failure);
        }

        // The version tag must come first; "v=spf1" must be followed by a space or end the record.
        return answer.Texts.Where(t => t.StartsWith(version, StringComparison.OrdinalIgnoreCase)
            && (t.Length == version.Length || t[version.Length] is ' ' or ';')).ToList();
    }

    private static SpfRecord? ReadSpf(string domain, List<string> records, List<string> warnings)
    {
        if (records.Count > 1)
        {
            warnings.Add($"{domain} publishes {records.Count} SPF records; receivers treat that as a permanent error (RFC 7208 section 4.5): {string.Join(" | ", records)}");
            return null;
        }

        if (records.Count == 0)
        {
            return null;
        }

        var terms = records[0].Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        var all = terms.LastOrDefault(t => SpfAll.IsMatch(t));
        if (all is "all" or "+all")
        {
            warnings.Add($"The SPF record of {domain} ends with {all}: it authorises every host in the world to send as {domain}.");
        }

        return new SpfRecord(records[0], all);
    }

    private static DmarcPolicy? ReadDmarc(string domain, List<string> records, List<string> warnings)
    {
        if (records.Count > 1)
        {
            warnings.Add($"{domain} publishes {records.Count} DMARC records; receivers then apply no DMARC policy (RFC 7489 section 6.6.3).");
            return null;
        }

        if (records.Count == 0)
        {
            return null;
        }

        var tags = ParseTags(records[0]);
        tags.TryGetValue("p", out var policy);
        if (policy is null || !(policy.Equals("none", StringComparison.OrdinalIgnoreCase) || policy.Equals("quarantine", StringComparison.OrdinalIgnoreCase) || policy.Equals("reject", StringComparison.OrdinalIgnoreCase)))
        {
            warnings.Add($"The DMARC record of {domain} has no valid p= tag (none, quarantine or reject): '{records[0]}'.");
            policy = null;
        }

        tags.TryGetValue("sp", out var subdomainPolicy);
        return new DmarcPolicy(records[0], policy?.ToLowerInvariant(), subdomainPolicy?.ToLowerInvariant(), SplitUris(tags, "rua"));
    }

    private static TlsReportingPolicy? ReadTlsReporting(string domain, List<string> records, List<string> warnings)
    {
        if (records.Count > 1)
        {
            warnings.Add($"{domain} publishes {records.Count} TLS-RPT records; senders then send no reports (RFC 8460 section 3).");
            return null;
        }

        if (records.Count == 0)
        {
            return null;
        }

        var uris = SplitUris(ParseTags(records[0]), "rua");
        if (uris.Count == 0)
        {
            warnings.Add($"The TLS-RPT record of {domain} has no rua= tag: '{records[0]}'.");
        }

        return new TlsReportingPolicy(records[0], uris);
    }

    private async Task<MtaStsPolicy?> ReadMtaStsAsync(string domain, List<string> records, IReadOnlyList<string> exchanges, List<string> warnings, CancellationToken cancellationToken)
    {
        if (records.Count > 1)
        {
            warnings.Add($"{domain} publishes {records.Count} _mta-sts records; senders then treat it as having no MTA-STS policy (RFC 8461 section 3.1).");
            return null;
        }

        if (records.Count == 0)
        {
            return null;
        }

        ParseTags(records[0]).TryGetValue("id", out var id);
        if (id is null || !StsId.IsMatch(id))
        {
            warnings.Add($"The _mta-sts record of {domain} has no valid id= tag (1 to 32 letters and digits): '{records[0]}'.");
            return new MtaStsPolicy(records[0], null, null, Array.Empty<string>(), null, "not fetched: the _mta-sts record is invalid");
        }

        if (!options.FetchMtaStsPolicy)
        {
            return new MtaStsPolicy(records[0], id, null, Array.Empty<string>(), null, "not fetched (disabled)");
        }

        var fetched = await FetchPolicyAsync(domain, cancellationToken).ConfigureAwait(false);
        if (fetched.Error is not null)
        {
            warnings.Add($"The MTA-STS policy of {domain} could not be fetched: {fetched.Error}.");
            return new MtaStsPolicy(records[0], id, null, Array.Empty<string>(), null, fetched.Error);
        }

        var fields = fetched.Fields!;
        string? Field(string key) => fields.Where(f => f.Key == key).Select(f => f.Value).FirstOrDefault();
        var mode = Field("mode");
        var patterns = fields.Where(f => f.Key == "mx").Select(f => f.Value.ToLowerInvariant()).ToList();
        long? maxAge = long.TryParse(Field("max_age"), NumberStyles.None, CultureInfo.InvariantCulture, out var age) ? age : null;
        if (Field("version") != "STSv1")
        {
            warnings.Add($"The MTA-STS policy of {domain} lacks 'version: STSv1'.");
        }

        if (mode is not ("enforce" or "testing" or "none"))
        {
            warnings.Add($"The MTA-STS policy of {domain} has no valid mode (enforce, testing or none): '{mode}'.");
        }

        if (maxAge is null or > 31557600)
        {
            warnings.Add($"The MTA-STS policy of {domain} has no valid max_age (0 to 31557600 seconds).");
        }

        if (mode is "enforce" or "testing")
        {
            foreach (var exchange in exchanges.Where(e => !patterns.Any(p => MatchesPattern(e, p))))
            {
                warnings.Add($"The MX {exchange} matches no mx pattern of the MTA-STS policy of {domain}: senders enforcing the policy will not deliver to it.");
            }
        }

        return new MtaStsPolicy(records[0], id, mode, patterns, maxAge, null);
    }

    private async Task<(List<KeyValuePair<string, string>>? Fields, string? Error)> FetchPolicyAsync(string domain, CancellationToken cancellationToken)
    {
        var host = "mta-sts." + domain;
        // Ask our own name servers first: the HTTPS request must not be what discovers that the host is missing.
        bool hasAddress;
        try
        {
            var a = await lookup.QueryAsync(domain, host, QueryType.A, cancellationToken).ConfigureAwait(false);
            var aaaa = await lookup.QueryAsync(domain, host, QueryType.AAAA, cancellationToken).ConfigureAwait(false);
            hasAddress = a.Answers.AddressRecords().Any() || aaaa.Answers.AddressRecords().Any();
        }
        catch (DnsResolutionException ex)
        {
            return (null, $"unreachable: {ex.Message}");
        }

        if (!hasAddress)
        {
            return (null, $"unreachable: {host} has no address");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.MtaStsFetchTimeout);
        try
        {
            using var response = await Http.GetAsync(new Uri($"https://{host}/.well-known/mta-sts.txt"), timeout.Token).ConfigureAwait(false);
            if ((int)response.StatusCode != 200)
            {
                return (null, $"https://{host}/.well-known/mta-sts.txt answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            return (ParsePolicyFile(body), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"unreachable: https://{host}/ did not answer within {options.MtaStsFetchTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return (null, $"unreachable: {ex.InnerException?.Message ?? ex.Message}");
        }
    }

    /// <summary>Parses "key: value" lines (RFC 8461 section 3.2).</summary>
    internal static List<KeyValuePair<string, string>> ParsePolicyFile(string body) =>
        body.Split('\n')
            .Select(line => line.TrimEnd('\r'))
            .Select(line => (Line: line, Colon: line.IndexOf(':')))
            .Where(x => x.Colon > 0)
            .Select(x => new KeyValuePair<string, string>(x.Line.Substring(0, x.Colon).Trim().ToLowerInvariant(), x.Line.Substring(x.Colon + 1).Trim()))
            .ToList();

    /// <summary>An mx pattern is a host name or "*." and a host name, the wildcard standing for exactly one label.</summary>
    internal static bool MatchesPattern(string host, string pattern)
    {
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var dot = host.IndexOf('.');
            return dot > 0 && string.Equals(host.Substring(dot + 1), pattern.Substring(2), StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase);
    }

    private static Dictionary<string, string> ParseTags(string record)
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

    private static List<string> SplitUris(Dictionary<string, string> tags, string key) =>
        tags.TryGetValue(key, out var value)
            ? value.Split(',').Select(u => u.Trim()).Where(u => u.Length > 0).ToList()
            : new List<string>();

    private sealed class TxtAnswer
    {
        public TxtAnswer(IReadOnlyList<string> texts, string? failure)
        {
            Texts = texts;
            Failure = failure;
        }

        public IReadOnlyList<string> Texts { get; }

        public string? Failure { get; }
    }
}
