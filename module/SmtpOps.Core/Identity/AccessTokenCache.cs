using System;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
namespace SmtpOps.Identity;

/// <summary>
/// One Microsoft Entra token for one service (Graph, ACS) at a time, asked of the credential when there is none or the
/// one held is within the refresh margin of its expiry (or past the credential's own RefreshOn). Tokens are never logged
/// or put in an exception message; a failure is the service's own exception, made by the function it was given.
/// </summary>
internal sealed class AccessTokenCache : IDisposable
{
    private readonly TokenCredential credential;
    private readonly TokenRequestContext context;
    private readonly TimeSpan margin;
    private readonly string service;
    private readonly string resourceUrl;
    private readonly Func<string, string, Exception?, Exception> refused;
    private readonly SemaphoreSlim gate = new(1, 1);
    private AccessToken? current;

    /// <param name="credential">Where tokens come from.</param>
    /// <param name="scope">The scope asked for.</param>
    /// <param name="margin">How long before its expiry a token is renewed.</param>
    /// <param name="service">The service's name in messages, e.g. "Microsoft Graph".</param>
    /// <param name="resourceUrl">The resource a user gets a token for, e.g. https://graph.microsoft.com.</param>
    /// <param name="refused">Makes the service's authentication failure from a message, guidance and the cause.</param>
    public AccessTokenCache(TokenCredential credential, string scope, TimeSpan margin, string service, string resourceUrl, Func<string, string, Exception?, Exception> refused)
    {
        this.credential = credential;
        this.margin = margin;
        this.service = service;
        this.resourceUrl = resourceUrl;
        this.refused = refused;
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
                throw refused(
                    $"No token for {service} ({Scope}) could be had: {ex.Message}",
                    "Check the identity: a managed identity must be enabled on the resource (and its client id right for a user-assigned one); an app registration needs a valid secret or certificate.",
                    ex);
            }

            Acquisitions++;
            if (token.ExpiresOn <= DateTimeOffset.UtcNow)
            {
                throw refused(
                    $"The access token for {service} expired at {token.ExpiresOn:u}.",
                    $"Get a new token (Get-AzAccessToken -ResourceUrl {resourceUrl}), or use an identity so that tokens are renewed.",
                    null);
            }

            current = token;
            return token.Token;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Forgets the token held: the service refused it (401), so the next request asks for a new one.</summary>
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
