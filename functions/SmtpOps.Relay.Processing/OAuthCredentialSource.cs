using System;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using SmtpOps.Smtp;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// OAuth2 credentials for XOAUTH2 from any Entra ID credential (managed identity, client secret,
/// certificate): the token is cached and refreshed before it expires. Exchange Online needs the
/// scope https://outlook.office365.com/.default and, for app-only access, SMTP.SendAsApp.
/// </summary>
public sealed class OAuthCredentialSource
{
    /// <summary>The scope for Exchange Online SMTP AUTH.</summary>
    public const string ExchangeOnlineScope = "https://outlook.office365.com/.default";

    private readonly TokenCredential credential;
    private readonly string userName;
    private readonly TokenRequestContext request;
    private readonly TimeSpan refreshMargin;
    private readonly SemaphoreSlim gate = new(1, 1);
    private AccessToken? cached;

    /// <summary>Creates the source.</summary>
    /// <param name="credential">The Entra ID credential.</param>
    /// <param name="userName">The mailbox that sends.</param>
    /// <param name="scope">The scope; Exchange Online's by default.</param>
    /// <param name="refreshMargin">How long before expiry a token is replaced (5 minutes by default).</param>
    public OAuthCredentialSource(TokenCredential credential, string userName, string scope = ExchangeOnlineScope, TimeSpan? refreshMargin = null)
    {
        this.credential = credential ?? throw new ArgumentNullException(nameof(credential));
        this.userName = string.IsNullOrEmpty(userName) ? throw new ArgumentException("The mailbox is empty.", nameof(userName)) : userName;
        request = new TokenRequestContext(new[] { scope });
        this.refreshMargin = refreshMargin ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>Gets how many tokens were requested from the credential so far.</summary>
    public int TokensRequested { get; private set; }

    /// <summary>Gets a credential with a token valid for at least the refresh margin.</summary>
    /// <param name="cancellationToken">Cancels the token request.</param>
    /// <returns>The XOAUTH2 credential.</returns>
    public async Task<SmtpCredential> GetAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (cached is not { } token || token.ExpiresOn - DateTimeOffset.UtcNow < refreshMargin)
            {
                token = await credential.GetTokenAsync(request, cancellationToken).ConfigureAwait(false);
                TokensRequested++;
                cached = token;
            }

            return SmtpCredential.FromAccessToken(userName, token.Token);
        }
        finally
        {
            gate.Release();
        }
    }
}
