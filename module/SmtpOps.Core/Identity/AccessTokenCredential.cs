using System;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;

namespace SmtpOps.Identity;

/// <summary>
/// A Microsoft Entra access token that the caller already has (for example from Get-AzAccessToken
/// -ResourceUrl https://storage.azure.com/ in a runbook signed in with Connect-AzAccount -Identity), used as
/// it is: no secret is held and nothing is refreshed. Its expiry is read from the token's exp claim. Shared by the
/// relay's storage clients and the Graph transport, so it belongs to neither.
/// </summary>
internal sealed class AccessTokenCredential : TokenCredential
{
    private readonly AccessToken token;

    public AccessTokenCredential(string accessToken)
    {
        if (string.IsNullOrWhiteSpace(accessToken))
        {
            throw new ArgumentException("The access token is empty.", nameof(accessToken));
        }

        token = new AccessToken(accessToken, ExpiresOn(accessToken));
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => token;

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token);

    // A JWT's payload is Base64url JSON; a token that is not one gets an hour, and Storage will say if it is no good.
    private static DateTimeOffset ExpiresOn(string accessToken)
    {
        var parts = accessToken.Split('.');
        if (parts.Length == 3)
        {
            try
            {
                var payload = parts[1].Replace('-', '+').Replace('_', '/');
                payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
                using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
                if (json.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds))
                {
                    return DateTimeOffset.FromUnixTimeSeconds(seconds);
                }
            }
            catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
            {
                // Not a JWT payload: fall through.
            }
        }

        return DateTimeOffset.UtcNow.AddHours(1);
    }
}
