using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using SmtpOps.Dns;

namespace SmtpOps.Spf;

/// <summary>
/// SPF's DNS through the module's DNS client: the same name servers, timeouts and "no public fallback"
/// rule as <see cref="MxResolver"/>.
/// </summary>
public sealed class DnsClientSpfResolver : ISpfDnsResolver
{
    private readonly DnsLookup lookup;

    /// <summary>Creates the resolver.</summary>
    /// <param name="options">The name servers and timeouts (only the DNS settings are used).</param>
    public DnsClientSpfResolver(MxResolverOptions options)
        : this(new DnsLookup(options))
    {
    }

    internal DnsClientSpfResolver(DnsLookup lookup) => this.lookup = lookup;

    /// <summary>Gets the name servers asked, as text.</summary>
    public string NameServers => lookup.DescribeServers();

    /// <inheritdoc/>
    public async Task<SpfDnsAnswer> QueryAsync(string name, SpfDnsQueryType type, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await lookup.QueryAsync(name, name, ToQueryType(type), cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResolutionException ex)
        {
            return SpfDnsAnswer.Failed(ex.Kind == DnsFailureKind.Timeout ? "timeout" : ex.Message);
        }

        switch (response.Header.ResponseCode)
        {
            case DnsHeaderResponseCode.NoError:
                break;
            case DnsHeaderResponseCode.NotExistentDomain:
                return SpfDnsAnswer.NameError();
            default:
                return SpfDnsAnswer.Failed(DnsLookup.ResponseCodeName(response));
        }

        var answers = response.Answers;
        return SpfDnsAnswer.Found(type switch
        {
            SpfDnsQueryType.Txt => answers.TxtRecords().Select(r => string.Concat(r.Text)),
            SpfDnsQueryType.A => answers.ARecords().Select(r => r.Address.ToString()),
            SpfDnsQueryType.Aaaa => answers.AaaaRecords().Select(r => r.Address.ToString()),
            SpfDnsQueryType.Mx => answers.MxRecords().Select(r => MailDomainName.Normalize(r.Exchange.Value)),
            SpfDnsQueryType.Ptr => answers.PtrRecords().Select(r => MailDomainName.Normalize(r.PtrDomainName.Value)),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        });
    }

    private static QueryType ToQueryType(SpfDnsQueryType type) => type switch
    {
        SpfDnsQueryType.Txt => QueryType.TXT,
        SpfDnsQueryType.A => QueryType.A,
        SpfDnsQueryType.Aaaa => QueryType.AAAA,
        SpfDnsQueryType.Mx => QueryType.MX,
        SpfDnsQueryType.Ptr => QueryType.PTR,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
