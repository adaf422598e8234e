using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using SmtpOps.TestServers.Acs;

namespace SmtpOps.Tests.Acs;

/// <summary>A credential that issues a new ACS test token (of the given audience) on every request, and records the scopes asked for.</summary>
internal sealed class AcsScopedCredential(string audience = "https://communication.azure.com") : TokenCredential
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

        return new AccessToken(AcsContractEndpoint.Token(TimeSpan.FromHours(1), audience), DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
}
