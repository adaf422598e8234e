using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using DnsClient.Protocol;

namespace SmtpOps.Dns;

/// <summary>
/// DnsClient configured to ask only the given name servers (or the system's, never a public
/// fallback), with DNS errors returned rather than thrown and no hopping to another server on an
/// error answer. Timeouts and network failures become <see cref="DnsResolutionException"/>.
/// </summary>
internal sealed class DnsLookup
{
    private readonly LookupClient client;
    private readonly LookupClient dnssecClient;
    private readonly TimeSpan timeout;
    private readonly int retries;

    public DnsLookup(MxResolverOptions options)
    {
        var servers = options.Servers.Count > 0
            ? options.Servers.Select(endPoint => new NameServer(endPoint)).ToArray()
            : SystemNameServers();
        Servers = servers.Select(s => new IPEndPoint(IPAddress.Parse(s.Address), s.Port)).ToList().AsReadOnly();
        timeout = options.Timeout;
        retries = Math.Max(0, options.Retries);
        client = new LookupClient(Configure(new LookupClientOptions(servers), options, dnssec: false));
        // TLSA needs the DO bit: a validating resolver sets AD only when the query asks for DNSSEC.
        dnssecClient = new LookupClient(Configure(new LookupClientOptions(servers), options, dnssec: true));
    }

    public IReadOnlyList<IPEndPoint> Servers { get; }

    public async Task<IDnsQueryResponse> QueryAsync(string domain, string name, QueryType type, CancellationToken cancellationToken, bool dnssec = false)
    {
        try
        {
            return await (dnssec ? dnssecClient : client).QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.ConnectionTimeout)
        {
            throw new DnsResolutionException(
                DnsFailureKind.Timeout,
                domain,
                $"No answer from {DescribeServers()} for {type} {name}: {DescribeTries()}. A temporary failure, try again later. This does not mean that {domain} has no MX.",
                name,
                type.ToString(),
                innerException: ex);
        }
        catch (Exception ex) when (ex is DnsResponseException or SocketException or TimeoutException)
        {
            throw new DnsResolutionException(
                DnsFailureKind.Temporary,
                domain,
                $"The lookup of {type} {name} at {DescribeServers()} failed: {ex.Message} A temporary failure, try again later.",
                name,
                type.ToString(),
                innerException: ex);
        }
    }

    public string DescribeServers() => string.Join(", ", Servers.Select(s => s.ToString()));

    // The query is sent once and resent Retries times, each waiting Timeout: say so, the total included.
    private string DescribeTries() => retries == 0
        ? $"the query was sent once and waited {timeout.TotalSeconds:0.###} s"
        : $"the query was sent {retries + 1} times (resent {retries} time{(retries == 1 ? string.Empty : "s")}), {timeout.TotalSeconds:0.###} s each, {timeout.TotalSeconds * (retries + 1):0.###} s in all";

    /// <summary>The conventional mnemonic of a response code (NXDOMAIN, SERVFAIL, ...).</summary>
    public static string ResponseCodeName(IDnsQueryResponse response) => response.Header.ResponseCode switch
    {
        DnsHeaderResponseCode.NoError => "NOERROR",
        DnsHeaderResponseCode.NotExistentDomain => "NXDOMAIN",
        DnsHeaderResponseCode.ServerFailure => "SERVFAIL",
        DnsHeaderResponseCode.Refused => "REFUSED",
        DnsHeaderResponseCode.FormatError => "FORMERR",
        DnsHeaderResponseCode.NotImplemented => "NOTIMP",
        var other => other.ToString().ToUpperInvariant(),
    };

    /// <summary>Follows the CNAME chain from <paramref name="name"/> inside an answer; returns the final name and the aliases passed.</summary>
    public static string FollowAliases(IEnumerable<DnsResourceRecord> answers, string name, out IReadOnlyList<string> aliases)
    {
        var records = answers.CnameRecords().ToList();
        var passed = new List<string>();
        var current = MailDomainName.Normalize(name);
        for (var hop = 0; hop < 16; hop++)
        {
            var alias = records.FirstOrDefault(r => MailDomainName.Normalize(r.DomainName.Value) == current);
            if (alias is null)
            {
                break;
            }

            passed.Add(current);
            current = MailDomainName.Normalize(alias.CanonicalName.Value);
        }

        aliases = passed;
        return current;
    }

    private static LookupClientOptions Configure(LookupClientOptions lookup, MxResolverOptions options, bool dnssec)
    {
        lookup.AutoResolveNameServers = false;
        lookup.UseCache = options.UseCache;
        lookup.Timeout = options.Timeout;
        lookup.Retries = options.Retries;
        lookup.UseTcpOnly = options.TcpOnly;
        lookup.UseTcpFallback = true;
        lookup.ThrowDnsErrors = false;
        lookup.ContinueOnDnsError = false;
        lookup.ContinueOnEmptyResponse = false;
        lookup.UseRandomNameServer = false;
        lookup.Recursion = true;
        lookup.RequestDnsSecRecords = dnssec;
        return lookup;
    }

    private static NameServer[] SystemNameServers()
    {
        // DnsClient's own default would fall back to Google's public resolvers when the system has
        // none configured; we refuse instead: a diagnostic must say which resolver answered.
        var servers = NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false).ToArray();
        if (servers.Length == 0)
        {
            throw new InvalidOperationException("The system has no DNS server configured: give one explicitly (for example -Server 192.0.2.53).");
        }

        return servers;
    }
}
