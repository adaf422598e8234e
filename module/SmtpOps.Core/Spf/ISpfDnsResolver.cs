using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Spf;

/// <summary>
/// The DNS that SPF evaluation asks: <see cref="DnsClientSpfResolver"/> in production, a zone held in
/// memory in tests. Failures are answers (<see cref="SpfDnsStatus.Failure"/>), never exceptions.
/// </summary>
public interface ISpfDnsResolver
{
    /// <summary>Asks for the records of one type at a name.</summary>
    /// <param name="name">The name, without trailing dot.</param>
    /// <param name="type">The record type.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The answer.</returns>
    Task<SpfDnsAnswer> QueryAsync(string name, SpfDnsQueryType type, CancellationToken cancellationToken);
}
