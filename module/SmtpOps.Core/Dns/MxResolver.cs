using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;

namespace SmtpOps.Dns;

/// <summary>
/// Finds where mail for a domain goes, the way an MTA does it (RFC 5321 section 5.1, Postfix's
/// smtp client as the reference): MX records sorted by preference with equal preferences in random
/// order, a CNAME at the domain followed, no MX means the domain's own addresses (implicit MX), a
/// null MX (RFC 7505) means no mail, every exchange resolved to its IPv4 and IPv6 addresses.
/// NXDOMAIN is permanent; SERVFAIL, REFUSED and timeouts are temporary and never read as "no MX".
/// Thread-safe: one resolver can resolve many domains concurrently (and shares its cache).
/// </summary>
public sealed class MxResolver
{
    private readonly MxResolverOptions options;
    private readonly DnsLookup lookup;
    private readonly MailPolicyReader policyReader;
    private readonly Random random;
    private readonly object randomGate = new();

    /// <summary>Creates a resolver; without servers in the options it uses the system's name servers.</summary>
    /// <param name="options">Which servers to ask and how.</param>
    /// <exception cref="InvalidOperationException">No server is given and the system has none configured.</exception>
    public MxResolver(MxResolverOptions? options = null)
    {
        this.options = options ?? new MxResolverOptions();
        lookup = new DnsLookup(this.options);
        policyReader = new MailPolicyReader(lookup, this.options);
        random = this.options.Random ?? new Random();
    }

    /// <summary>Gets the name servers this resolver asks, in order.</summary>
    public IReadOnlyList<IPEndPoint> NameServers => lookup.Servers;

    /// <summary>Resolves the delivery plan of a domain.</summary>
    /// <param name="domainOrAddress">A domain (contoso.com) or an e-mail address (ops@contoso.com) whose domain is taken.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    /// <returns>The mail exchangers in delivery order, with their addresses and flags.</returns>
    /// <exception cref="DnsResolutionException">The input is invalid, the domain does not exist or has no mail server, or DNS failed (temporarily).</exception>
    public async Task<DeliveryPlan> ResolveAsync(string domainOrAddress, CancellationToken cancellationToken = default)
    {
        var domain = MailDomainName.Parse(domainOrAddress);
        var mx = await lookup.QueryAsync(domain, domain, QueryType.MX, cancellationToken).ConfigureAwait(false);
        EnsureAnswered(mx, domain, domain, "MX");

        var canonical = DnsLookup.FollowAliases(mx.Answers, domain, out var aliases);
        var domainWarnings = new List<string>();
        if (aliases.Count > 0)
        {
            domainWarnings.Add($"{domain} is an alias (CNAME) of {canonical}: its mail exchangers were taken from {canonical}.");
        }

        var records = mx.Answers.MxRecords().Where(r => MailDomainName.Normalize(r.DomainName.Value) == canonical).ToList();
        List<MailExchanger> exchangers;
        if (records.Count == 0)
        {
            exchangers = new List<MailExchanger> { await ResolveImplicitAsync(domain, canonical, domainWarnings, cancellationToken).ConfigureAwait(false) };
        }
        else if (records.FirstOrDefault(r => MailDomainName.Normalize(r.Exchange.Value) == ".") is { } nullMx)
        {
            var warnings = new List<string>(domainWarnings) { $"{domain} accepts no mail: it publishes a null MX (RFC 7505)." };
            if (records.Count > 1)
            {
                warnings.Add($"{domain} publishes other MX records beside its null MX, which RFC 7505 forbids; they are ignored.");
            }

            exchangers = new List<MailExchanger> { new(domain, ".", nullMx.Preference, Array.Empty<IPAddress>(), false, true, nullMx.InitialTimeToLive, warnings) };
        }
        else
        {
            var ordered = Order(records.GroupBy(r => MailDomainName.Normalize(r.Exchange.Value))
                .Select(g => g.OrderBy(r => r.Preference).First())
                .Select(r => (Exchange: MailDomainName.Normalize(r.Exchange.Value), Preference: (int)r.Preference, Ttl: r.InitialTimeToLive))
                .ToList());
            var resolved = await Task.WhenAll(ordered.Select(e => ResolveExchangeAsync(domain, e.Exchange, cancellationToken))).ConfigureAwait(false);
            exchangers = ordered.Select((e, i) => new MailExchanger(domain, e.Exchange, e.Preference, resolved[i].Addresses, false, false, e.Ttl, domainWarnings.Concat(resolved[i].Warnings))).ToList();
        }

        if (!options.IncludePolicy)
        {
            return new DeliveryPlan(domain, canonical, exchangers);
        }

        var policyTask = policyReader.ReadAsync(domain, exchangers.Where(e => !e.IsNullMx).Select(e => e.Exchange).ToList(), cancellationToken);
        var tlsaTasks = exchangers.Select(e => e.IsNullMx ? Task.FromResult<TlsaRecordSet?>(null) : ReadTlsaOrNullAsync(domain, e.Exchange, cancellationToken)).ToList();
        var policy = await policyTask.ConfigureAwait(false);
        var tlsa = await Task.WhenAll(tlsaTasks).ConfigureAwait(false);
        var withPolicy = exchangers.Select((e, i) => new MailExchanger(e.Domain, e.Exchange, e.Preference, e.Addresses, e.IsImplicit, e.IsNullMx, e.Ttl, e.Warnings.Concat(tlsa[i]?.WarningsFor(e.Exchange) ?? Enumerable.Empty<string>()), tlsa[i], policy));
        return new DeliveryPlan(domain, canonical, withPolicy, policy);
    }

    private async Task<TlsaRecordSet?> ReadTlsaOrNullAsync(string domain, string exchange, CancellationToken cancellationToken) =>
        await policyReader.ReadTlsaAsync(domain, exchange, cancellationToken).ConfigureAwait(false);

    private async Task<MailExchanger> ResolveImplicitAsync(string domain, string canonical, List<string> domainWarnings, CancellationToken cancellationToken)
    {
        var a = lookup.QueryAsync(domain, canonical, QueryType.A, cancellationToken);
        var aaaa = lookup.QueryAsync(domain, canonical, QueryType.AAAA, cancellationToken);
        var responses = new[] { await a.ConfigureAwait(false), await aaaa.ConfigureAwait(false) };
        foreach (var response in responses)
        {
            // The MX query said the name exists: any error here is a failure to know, not an answer.
            if (response.Header.ResponseCode != DnsHeaderResponseCode.NoError)
            {
                throw Temporary(domain, canonical, response == responses[0] ? "A" : "AAAA", DnsLookup.ResponseCodeName(response));
            }
        }

        var records = responses.SelectMany(r => r.Answers.AddressRecords()).ToList();
        var addresses = records.Select(r => r.Address).Distinct().OrderBy(ip => ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1).ToList();
        if (addresses.Count == 0)
        {
            throw new DnsResolutionException(
                DnsFailureKind.NoMailServer,
                domain,
                $"{domain} exists but has neither MX nor address (A/AAAA) records: no server receives its mail.",
                canonical,
                "MX");
        }

        var warnings = new List<string>(domainWarnings) { $"{domain} has no MX records: mail goes to the domain's own address (implicit MX, RFC 5321 section 5.1)." };
        return new MailExchanger(domain, canonical, 0, addresses, true, false, records.Min(r => r.InitialTimeToLive), warnings);
    }

    private async Task<(IReadOnlyList<IPAddress> Addresses, IReadOnlyList<string> Warnings)> ResolveExchangeAsync(string domain, string exchange, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(exchange, out _))
        {
            return (Array.Empty<IPAddress>(), new[] { $"The MX target {exchange} is an IP address, not a host name: senders refuse it (RFC 5321 section 5.1)." });
        }

        var warnings = new List<string>();
        var addresses = new List<IPAddress>();
        var queries = new[] { QueryType.A, QueryType.AAAA }.Select(async type =>
        {
            try
            {
                return (Type: type, Response: await lookup.QueryAsync(domain, exchange, type, cancellationToken).ConfigureAwait(false), Failure: (DnsResolutionException?)null);
            }
            catch (DnsResolutionException ex)
            {
                return (Type: type, Response: (IDnsQueryResponse?)null, Failure: ex);
            }
        }).ToList();
        var aliased = false;
        var missing = false;
        var failed = false;
        foreach (var (type, response, failure) in await Task.WhenAll(queries).ConfigureAwait(false))
        {
            if (failure is not null)
            {
                failed = true;
                warnings.Add($"The {type} lookup of {exchange} failed temporarily ({(failure.Kind == DnsFailureKind.Timeout ? "timeout" : failure.ResponseCode ?? "error")}): a sender defers this host.");
                continue;
            }

            var code = response!.Header.ResponseCode;
            if (code == DnsHeaderResponseCode.NotExistentDomain)
            {
                missing = true;
                continue;
            }

            if (code != DnsHeaderResponseCode.NoError)
            {
                failed = true;
                warnings.Add($"The {type} lookup of {exchange} failed temporarily ({DnsLookup.ResponseCodeName(response)}): a sender defers this host.");
                continue;
            }

            var target = DnsLookup.FollowAliases(response.Answers, exchange, out var aliases);
            aliased |= aliases.Count > 0;
            addresses.AddRange(response.Answers.AddressRecords().Where(r => MailDomainName.Normalize(r.DomainName.Value) == target).Select(r => r.Address));
        }

        if (aliased)
        {
            warnings.Insert(0, $"The MX target {exchange} is an alias (CNAME): RFC 2181 section 10.3 forbids that; some senders refuse it.");
        }

        if (addresses.Count == 0 && !failed)
        {
            warnings.Add(missing
                ? $"The MX target {exchange} does not exist (NXDOMAIN): senders skip it."
                : $"The MX target {exchange} has no address (A/AAAA) records: senders skip it.");
        }

        var ordered = addresses.Distinct().OrderBy(ip => ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1).ToList();
        return (ordered, warnings);
    }

    private List<(string Exchange, int Preference, int Ttl)> Order(List<(string Exchange, int Preference, int Ttl)> exchangers)
    {
        var byName = exchangers.OrderBy(e => e.Preference).ThenBy(e => e.Exchange, StringComparer.Ordinal).ToList();
        if (!options.Randomize)
        {
            return byName;
        }

        // RFC 5321 section 5.1: hosts of equal preference in random order, to spread the load.
        var result = new List<(string Exchange, int Preference, int Ttl)>(byName.Count);
        lock (randomGate)
        {
            foreach (var group in byName.GroupBy(e => e.Preference))
            {
                var items = group.ToList();
                for (var i = items.Count - 1; i > 0; i--)
                {
                    var j = random.Next(i + 1);
                    (items[i], items[j]) = (items[j], items[i]);
                }

                result.AddRange(items);
            }
        }

        return result;
    }

    private void EnsureAnswered(IDnsQueryResponse response, string domain, string name, string type)
    {
        switch (response.Header.ResponseCode)
        {
            case DnsHeaderResponseCode.NoError:
                return;
            case DnsHeaderResponseCode.NotExistentDomain:
                throw new DnsResolutionException(
                    DnsFailureKind.NotFound,
                    domain,
                    $"The domain {domain} does not exist (NXDOMAIN for {type} {name} from {lookup.DescribeServers()}): mail to it bounces.",
                    name,
                    type,
                    "NXDOMAIN");
            default:
                throw Temporary(domain, name, type, DnsLookup.ResponseCodeName(response));
        }
    }

    private DnsResolutionException Temporary(string domain, string name, string type, string code) =>
        new(
            DnsFailureKind.Temporary,
            domain,
            $"The name server {lookup.DescribeServers()} answered {type} {name} with {code}: a temporary failure, try again later. This does not mean that {domain} has no MX.",
            name,
            type,
            code);
}
