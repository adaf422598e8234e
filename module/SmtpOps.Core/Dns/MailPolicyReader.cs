using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using SmtpOps.Spf;

namespace SmtpOps.Dns;

/// <summary>
/// Reads a domain's mail-security records (MTA-STS, TLS-RPT, SPF, DMARC, DANE TLSA): the DNS
/// lookups and the MTA-STS policy fetch. What the records mean is decided by their types
/// (<see cref="SpfRecord.Parse"/>, <see cref="DmarcPolicy.Parse"/>, <see cref="TlsReportingPolicy.Parse"/>,
/// <see cref="MtaStsPolicy.Parse"/> and <see cref="MtaStsPolicy.WithPolicyFile"/>). Malformed records
/// and failed lookups become warnings; nothing here throws for the domain's content.
/// </summary>
internal sealed class MailPolicyReader
{
    // RFC 8461 section 3.3: no redirects when fetching the policy. One client for the module.
    /// <summary>
    /// The largest MTA-STS policy file read (64 KiB): the big receivers publish a few hundred bytes; a larger body
    /// is not read on, and the policy is reported invalid.
    /// </summary>
    internal const int MaxPolicyFileLength = 64 * 1024;

    private static readonly HttpClient SharedHttp = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

    private readonly DnsLookup lookup;
    private readonly MxResolverOptions options;
    private readonly HttpClient http;

    public MailPolicyReader(DnsLookup lookup, MxResolverOptions options)
    {
        this.lookup = lookup;
        this.options = options;
        http = options.MtaStsHttpHandler is { } handler
            ? new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan }
            : SharedHttp;
    }

    public async Task<MailDomainPolicy> ReadAsync(string domain, IReadOnlyList<string> exchanges, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var spfTxt = ReadTxtAsync(domain, domain, "SPF", cancellationToken);
        var dmarcTxt = ReadTxtAsync(domain, "_dmarc." + domain, "DMARC", cancellationToken);
        var stsTxt = ReadTxtAsync(domain, "_mta-sts." + domain, "MTA-STS", cancellationToken);
        var rptTxt = ReadTxtAsync(domain, "_smtp._tls." + domain, "TLS-RPT", cancellationToken);
        // SPF evaluated, not only read (RFC 7208): includes and redirect followed, lookups counted, errors found.
        var spfCheck = new SpfEvaluator(new DnsClientSpfResolver(lookup)).InspectAsync(domain, cancellationToken: cancellationToken);

        var spf = SpfRecord.Parse(domain, Texts(await spfTxt.ConfigureAwait(false), warnings), warnings);
        var dmarc = DmarcPolicy.Parse(domain, Texts(await dmarcTxt.ConfigureAwait(false), warnings), warnings);
        var tlsRpt = TlsReportingPolicy.Parse(domain, Texts(await rptTxt.ConfigureAwait(false), warnings), warnings);
        var announced = MtaStsPolicy.Parse(domain, Texts(await stsTxt.ConfigureAwait(false), warnings), warnings);
        var mtaSts = announced is { Id: not null } ? await FetchMtaStsAsync(domain, announced, exchanges, warnings, cancellationToken).ConfigureAwait(false) : announced;

        // DMARC beyond the domain's own record: the DMARCbis tree walk (organizational domain, fallback record) and the
        // authorization of external report destinations. Not when the first lookup failed: the status is unknown then.
        if ((await dmarcTxt.ConfigureAwait(false)).Failure is null)
        {
            dmarc = await new DmarcPolicyDiscovery(lookup).ContinueAsync(domain, dmarc, domainExists: true, warnings, cancellationToken).ConfigureAwait(false);
        }

        var spfEvaluation = await spfCheck.ConfigureAwait(false);
        AddSpfErrors(spfEvaluation, warnings);
        return new MailDomainPolicy(domain, mtaSts, tlsRpt, spf, dmarc, warnings) { SpfEvaluation = spfEvaluation };
    }

    // The evaluation's errors as warnings, but for several records (section 4.5), which SpfRecord.Parse reports already.
    private static void AddSpfErrors(SpfEvaluation evaluation, List<string> warnings) =>
        warnings.AddRange(evaluation.Errors.Where(e => e.Section != "4.5").Select(e => $"SPF {e}"));

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

    private static IReadOnlyList<string> Texts(TxtAnswer answer, List<string> warnings)
    {
        if (answer.Failure is not null)
        {
            warnings.Add(answer.Failure);
        }

        return answer.Texts;
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

    private async Task<MtaStsPolicy> FetchMtaStsAsync(string domain, MtaStsPolicy announced, IReadOnlyList<string> exchanges, List<string> warnings, CancellationToken cancellationToken)
    {
        if (!options.FetchMtaStsPolicy)
        {
            return announced.NotFetched("not fetched (disabled)");
        }

        var fetched = await FetchPolicyFileAsync(domain, cancellationToken).ConfigureAwait(false);
        if (fetched.Error is not null)
        {
            warnings.Add($"The MTA-STS policy of {domain} could not be fetched: {fetched.Error}.");
            return announced.NotFetched(fetched.Error);
        }

        return announced.WithPolicyFile(domain, fetched.Body!, exchanges, warnings);
    }

    private async Task<(string? Body, string? Error)> FetchPolicyFileAsync(string domain, CancellationToken cancellationToken)
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

        var url = new Uri($"https://{host}/.well-known/mta-sts.txt");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.MtaStsFetchTimeout);
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if ((int)response.StatusCode != 200)
            {
                return (null, $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            // A given handler may follow redirects; RFC 8461 section 3.3 says senders must not.
            if (response.RequestMessage?.RequestUri is { } answered && answered != url)
            {
                return (null, $"{url} redirected to {answered}, which RFC 8461 section 3.3 forbids");
            }

            var body = response.Content.Headers.ContentLength is > MaxPolicyFileLength ? null : await ReadBoundedAsync(response.Content, timeout.Token).ConfigureAwait(false);
            return body is null
                ? (null, $"invalid: {url} is larger than {MaxPolicyFileLength / 1024} KiB, which no real policy comes near (RFC 8461 leaves the limit to senders)")
                : (body, null);
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

    // The body as text, or null when it is longer than MaxPolicyFileLength: never more than that is held.
    private static async Task<string?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        using var stream = await content.ReadAsStreamAsync().ConfigureAwait(false);
        var buffer = new byte[MaxPolicyFileLength + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer, length, buffer.Length - length, cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        return length > MaxPolicyFileLength ? null : Encoding.UTF8.GetString(buffer, 0, length);
    }

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
