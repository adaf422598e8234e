using System;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using SmtpOps.Identity;

namespace SmtpOps.Acs;

/// <summary>
/// One Microsoft Entra token for ACS at a time, asked of the credential when there is none or the one held is within the
/// refresh margin of its expiry (or past the credential's RefreshOn). Tokens are never logged or put in a message.
/// </summary>
internal sealed class AcsTokenCache : IDisposable
{
    private readonly TokenCredential credential;
    private readonly TokenRequestContext context;
    private readonly TimeSpan margin;
    private readonly SemaphoreSlim gate = new(1, 1);
    private AccessToken? current;

    public AcsTokenCache(TokenCredential credential, string scope, TimeSpan margin)
    {
        this.credential = credential;
        this.margin = margin;
        context = new TokenRequestContext(new[] { scope });
        Scope = scope;
    }

    public string Scope { get; }

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
                throw new AcsTransportException(
                    AcsFailureKind.Authentication,
                    $"No token for Azure Communication Services ({Scope}) could be had: {ex.Message}",
                    guidance: "Check the identity: a managed identity must be enabled on the resource (and its client id right for a user-assigned one); an app registration needs a valid secret or certificate.",
                    innerException: ex);
            }

            Acquisitions++;
            if (token.ExpiresOn <= DateTimeOffset.UtcNow)
            {
                throw new AcsTransportException(
                    AcsFailureKind.Authentication,
                    $"The access token for Azure Communication Services expired at {token.ExpiresOn:u}.",
                    guidance: "Get a new token (Get-AzAccessToken -ResourceUrl https://communication.azure.com), or use an identity so that tokens are renewed.");
            }

            current = token;
            return token.Token;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Invalidate() => current = null;

    public void Dispose() => gate.Dispose();

    private bool Fresh(AccessToken token)
    {
        var now = DateTimeOffset.UtcNow;
        if (token.RefreshOn is { } refreshOn && refreshOn <= now)
        {
            return false;
        }

        return token.ExpiresOn - margin > now || (credential is AccessTokenCredential && token.ExpiresOn > now);
    }
}
