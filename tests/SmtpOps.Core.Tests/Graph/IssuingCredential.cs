using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using SmtpOps.TestServers.Graph;

namespace SmtpOps.Tests.Graph;

/// <summary>A credential that issues a new Graph test token of a fixed lifetime on every request, and counts them.</summary>
internal sealed class IssuingCredential(TimeSpan lifetime) : TokenCredential
{
    private int issued;

    public int Issued => Volatile.Read(ref issued);

    public ConcurrentQueue<string> Scopes { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref issued);
        foreach (var scope in requestContext.Scopes)
        {
            Scopes.Enqueue(scope);
        }

        // Distinct tokens: the payload carries a fresh oid each time.
        return new AccessToken(GraphContractEndpoint.Token(lifetime), DateTimeOffset.UtcNow + lifetime);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
}
