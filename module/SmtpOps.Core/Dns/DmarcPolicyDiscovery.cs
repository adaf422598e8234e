using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;

namespace SmtpOps.Dns;

/// <summary>
/// Finds the DMARC record that applies to a domain as DMARCbis does (draft-ietf-dmarc-dmarcbis section 4.10, "DNS
/// Tree Walk"), with no public suffix list: _dmarc.&lt;domain&gt; first, then up the tree one label at a time (a name
/// of more than eight labels jumps to its last seven), at most eight queries, stopping at a record with psd=y or
/// psd=n. The walk gives the organizational domain and, when the domain has no record of its own, the record of its
/// organizational (or public suffix) domain to fall back to. Then every report destination outside the
/// organizational domain is checked for its authorization record (RFC 7489 section 7.1).
/// </summary>
internal sealed class DmarcPolicyDiscovery
{
    /// <summary>The most _dmarc queries one walk makes (DMARCbis section 4.10).</summary>
    internal const int MaxQueries = 8;

    private readonly DnsLookup lookup;

    public DmarcPolicyDiscovery(DnsLookup lookup) => this.lookup = lookup;

    /// <summary>Finds the record that applies to a domain.</summary>
    /// <param name="domain">The domain (lower case A-labels, no trailing dot).</param>
    /// <param name="domainExists">Whether the domain exists, when the caller knows (it decides between sp= and np=); <c>null</c> to look it up when needed.</param>
    /// <param name="warnings">Where problems are added: invalid tags, failed lookups, unauthorized report destinations.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    /// <returns>The record that applies, or <c>null</c> when there is none (or it could not be read).</returns>
    public async Task<DmarcPolicy?> DiscoverAsync(string domain, bool? domainExists, ICollection<string> warnings, CancellationToken cancellationToken)
    {
        var own = await ReadDmarcAsync(domain, domain, cancellationToken).ConfigureAwait(false);
        if (own.Failure is not null)
        {
            warnings.Add(own.Failure);
            return null;
        }

        return await ContinueAsync(domain, DmarcPolicy.Parse(domain, own.Texts, warnings), domainExists, warnings, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Goes on from the domain's own record (or its absence), already read from _dmarc.&lt;domain&gt;: the walk up the tree and the checks.</summary>
    /// <param name="domain">The domain (lower case A-labels, no trailing dot).</param>
    /// <param name="ownRecord">The domain's own record, or <c>null</c> when _dmarc.&lt;domain&gt; holds none.</param>
    /// <param name="domainExists">Whether the domain exists, when the caller knows; <c>null</c> to look it up when needed.</param>
    /// <param name="warnings">Where problems are added.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    /// <returns>The record that applies, or <c>null</c> when there is none.</returns>
    public async Task<DmarcPolicy?> ContinueAsync(string domain, DmarcPolicy? ownRecord, bool? domainExists, ICollection<string> warnings, CancellationToken cancellationToken)
    {
        var labels = domain.Split('.');
        var found = new List<(string Name, DmarcPolicy Record, List<string> Warnings)>();
        if (ownRecord is not null)
        {
            found.Add((domain, ownRecord, new List<string>()));
        }

        // Steps 3 to 7: the parent, or the last seven labels of a longer name, then one label less each time.
        var queries = 1;
        var walkFailed = false;
        var count = labels.Length > MaxQueries ? MaxQueries - 1 : labels.Length - 1;
        while (ownRecord?.PublicSuffix is not ("y" or "n") && count >= 1 && queries < MaxQueries)
        {
            var target = string.Join(".", labels, labels.Length - count, count);
            queries++;
            count--;
            var answer = await ReadDmarcAsync(domain, target, cancellationToken).ConfigureAwait(false);
            if (answer.Failure is not null)
            {
                warnings.Add(answer.Failure + $" The DMARC tree walk of {domain} stopped there.");
                walkFailed = true;
                break;
            }

            var recordWarnings = new List<string>();
            if (DmarcPolicy.Parse(target, answer.Texts, recordWarnings) is { } record)
            {
                found.Add((target, record, recordWarnings));
                if (record.PublicSuffix is "y" or "n")
                {
                    break;
                }
            }
        }

        // DMARCbis section 4.10.2: from the longest name to the shortest, psd=n is the organizational domain, psd=y
        // (but not at the start) makes it the name one label below, and otherwise the record with the fewest labels.
        string? organizational = null;
        (string Name, DmarcPolicy Record, List<string> Warnings)? publicSuffix = null;
        foreach (var entry in found)
        {
            if (entry.Record.PublicSuffix == "n")
            {
                organizational = entry.Name;
                break;
            }

            if (entry.Record.PublicSuffix == "y" && entry.Name != domain)
            {
                var below = entry.Name.Split('.').Length + 1;
                organizational = string.Join(".", labels, labels.Length - below, below);
                publicSuffix = entry;
                break;
            }
        }

        organizational ??= found.Count > 0 ? found[found.Count - 1].Name : domain;
        if (walkFailed)
        {
            warnings.Add($"The organizational domain of {domain} is uncertain ({organizational} from the records read before the failure).");
        }

        // Section 4.10.1: the domain's own record, else its organizational domain's, else its public suffix domain's.
        var chosen = ownRecord is not null
            ? found[0]
            : found.FirstOrDefault(f => f.Name == organizational) is { Record: not null } atOrganizational ? atOrganizational : publicSuffix;
        if (chosen is not { } applied)
        {
            return null;
        }

        foreach (var warning in applied.Warnings)
        {
            warnings.Add(warning);
        }

        var exists = applied.Name == domain || (domainExists ?? await ExistsAsync(domain, cancellationToken).ConfigureAwait(false));
        var policy = applied.Record with { AuthorDomain = domain, OrganizationalDomain = organizational, AuthorDomainExists = exists };
        return await CheckAuthorizationsAsync(policy, applied.Name == publicSuffix?.Name ? applied.Name : organizational, warnings, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsWithin(string name, string domain) =>
        name == domain || name.EndsWith("." + domain, StringComparison.Ordinal);

    // RFC 7489 section 7.1: a destination outside the policy's organizational domain must publish a v=DMARC1 record at
    // <policy-domain>._report._dmarc.<destination-domain>, or receivers send it nothing.
    private async Task<DmarcPolicy> CheckAuthorizationsAsync(DmarcPolicy policy, string organizational, ICollection<string> warnings, CancellationToken cancellationToken)
    {
        var external = policy.ReportDestinations
            .Where(d => d.IsValid && d.Domain is not null && !IsWithin(d.Domain, organizational))
            .Select(d => d.Domain!)
            .Distinct()
            .ToList();
        if (external.Count == 0)
        {
            return policy;
        }

        var names = external.ToDictionary(d => d, d => $"{policy.Domain}._report._dmarc.{d}");
        var answers = await Task.WhenAll(external.Select(d => ReadTxtAsync(policy.AuthorDomain, names[d], cancellationToken))).ConfigureAwait(false);
        var authorized = new Dictionary<string, bool?>();
        for (var i = 0; i < external.Count; i++)
        {
            authorized[external[i]] = answers[i].Failure is null ? TxtRecordSyntax.WithVersion(answers[i].Texts, "v=DMARC1").Count > 0 : null;
            if (answers[i].Failure is { } failure)
            {
                warnings.Add(failure);
            }
        }

        var destinations = policy.ReportDestinations.Select(d =>
        {
            if (d.Domain is null || !authorized.TryGetValue(d.Domain, out var isAuthorized))
            {
                return d;
            }

            if (isAuthorized == false)
            {
                warnings.Add($"The DMARC record of {policy.Domain} sends {(d.Tag == "rua" ? "aggregate" : "failure")} reports ({d.Tag}) to {d.Uri}, outside its organizational domain {organizational}, but {d.Domain} does not authorize them: no v=DMARC1 record at {names[d.Domain]} (RFC 7489 section 7.1); receivers send those reports nowhere.");
            }

            return d.WithAuthorization(true, isAuthorized);
        }).ToList();
        return policy with { ReportDestinations = destinations.AsReadOnly() };
    }

    // RFC 8020 and DMARCbis section 3.2.13: a name that answers NXDOMAIN does not exist.
    private async Task<bool> ExistsAsync(string domain, CancellationToken cancellationToken)
    {
        try
        {
            var response = await lookup.QueryAsync(domain, domain, QueryType.SOA, cancellationToken).ConfigureAwait(false);
            return response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain;
        }
        catch (DnsResolutionException)
        {
            return true;
        }
    }

    private Task<(IReadOnlyList<string> Texts, string? Failure)> ReadDmarcAsync(string domain, string target, CancellationToken cancellationToken) =>
        ReadTxtAsync(domain, "_dmarc." + target, cancellationToken);

    private async Task<(IReadOnlyList<string> Texts, string? Failure)> ReadTxtAsync(string domain, string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await lookup.QueryAsync(domain, name, QueryType.TXT, cancellationToken).ConfigureAwait(false);
            var code = response.Header.ResponseCode;
            if (code is not (DnsHeaderResponseCode.NoError or DnsHeaderResponseCode.NotExistentDomain))
            {
                return (Array.Empty<string>(), $"The DMARC lookup (TXT {name}) failed temporarily ({DnsLookup.ResponseCodeName(response)}): DMARC status unknown.");
            }

            // A TXT record may be split into several strings: they are one text (RFC 7489 section 6.1).
            return (response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).ToList(), null);
        }
        catch (DnsResolutionException ex)
        {
            return (Array.Empty<string>(), $"The DMARC lookup (TXT {name}) failed temporarily ({(ex.Kind == DnsFailureKind.Timeout ? "timeout" : ex.ResponseCode ?? "error")}): DMARC status unknown.");
        }
    }
}
