using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;

namespace SmtpOps.Relay.Tests;

/// <summary>A TokenCredential that hands out the tokens it is given, in order, and counts the requests and their scopes.</summary>
public sealed class FakeTokenCredential : TokenCredential
{
    private readonly ConcurrentQueue<AccessToken> tokens;
    private int calls;

    public FakeTokenCredential(params AccessToken[] tokens) => this.tokens = new ConcurrentQueue<AccessToken>(tokens);

    public int Calls => Volatile.Read(ref calls);

    public ConcurrentQueue<string> Scopes { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref calls);
        Scopes.Enqueue(string.Join(" ", requestContext.Scopes));
        return tokens.TryDequeue(out var token) ? token : throw new InvalidOperationException("The fake credential has no more tokens.");
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        => new(GetToken(requestContext, cancellationToken));
}
