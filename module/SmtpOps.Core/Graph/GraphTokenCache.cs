using System;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using SmtpOps.Identity;

namespace SmtpOps.Graph;

/// <summary>
/// One token for Graph at a time, asked of the credential when there is none or the one held is within the refresh margin
/// of its expiry (or past the credential's own RefreshOn). Tokens are never logged or put in an exception message.
/// </summary>
internal sealed class GraphTokenCache : IDisposable
{
    private readonly TokenCredential credential;
    private readonly TokenRequestContext context;
    private readonly TimeSpan margin;
    private readonly SemaphoreSlim gate = new(1, 1);
    private AccessToken? current;

    public GraphTokenCache(TokenCredential credential, string scope, TimeSpan margin)
    {
        this.credential = credential;
        this.margin = margin;
        context = new TokenRequestContext(new[] { scope });
        Scope = scope;
    }

    public string Scope { get; }

    /// <summary>Gets how many tokens were asked of the credential.</summary>
    public int Acquisitions { get; private set; }

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (current is { } held && Fresh(held))
        {
            return held.Token;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (current is { } again && Fresh(again))
            {
                return again.Token;
            }

            AccessToken token;
            try
            {
                token = await credential.GetTokenAsync(context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                throw new GraphTransportException(
                    GraphFailureKind.Authentication,
                    $"No token for Microsoft Graph ({Scope}) could be had: {ex.Message}",
                    guidance: "Check the identity: a managed identity must be enabled on the resource (and its client id right for a user-assigned one); an app registration needs a valid secret or certificate.",
                    innerException: ex);
            }

            Acquisitions++;
            if (token.ExpiresOn <= DateTimeOffset.UtcNow)
            {
                throw new GraphTransportException(
                    GraphFailureKind.Authentication,
                    $"The access token for Microsoft Graph expired at {token.ExpiresOn:u}.",
                    guidance: "Get a new token (Get-AzAccessToken -ResourceUrl https://graph.microsoft.com), or use an identity so that tokens are renewed.");
            }

            current = token;
            return token.Token;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Forgets the token held: Graph refused it (401), so the next request asks for a new one.</summary>
    public void Invalidate() => current = null;

    public void Dispose() => gate.Dispose();

    private bool Fresh(AccessToken token)
    {
        var now = DateTimeOffset.UtcNow;
        if (token.RefreshOn is { } refreshOn && refreshOn <= now)
        {
            return false;
        }

        // A token the caller supplied cannot be renewed: use it until it expires rather than asking again and again.
        return token.ExpiresOn - margin > now || (credential is AccessTokenCredential && token.ExpiresOn > now);
    }
}
