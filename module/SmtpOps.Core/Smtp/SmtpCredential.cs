using System;

namespace SmtpOps.Smtp;

/// <summary>
/// What the client authenticates with: a user name and either a password (AUTH PLAIN/LOGIN
/// and the other SASL mechanisms MailKit supports) or an OAuth2 access token (XOAUTH2).
/// The secret is never part of <see cref="ToString"/>.
/// </summary>
public sealed class SmtpCredential
{
    private SmtpCredential(string userName, string secret, bool isAccessToken)
    {
        if (string.IsNullOrEmpty(userName))
        {
            throw new ArgumentException("The user name is empty.", nameof(userName));
        }

        UserName = userName;
        Secret = secret ?? throw new ArgumentNullException(nameof(secret));
        IsAccessToken = isAccessToken;
    }

    /// <summary>Gets the user name (for XOAUTH2, the mailbox).</summary>
    public string UserName { get; }

    /// <summary>Gets whether the secret is an OAuth2 access token rather than a password.</summary>
    public bool IsAccessToken { get; }

    internal string Secret { get; }

    /// <summary>Creates a password credential.</summary>
    /// <param name="userName">The user name.</param>
    /// <param name="password">The password.</param>
    /// <returns>The credential.</returns>
    public static SmtpCredential FromPassword(string userName, string password) => new(userName, password, false);

    /// <summary>Creates an OAuth2 credential, used with the XOAUTH2 mechanism.</summary>
    /// <param name="userName">The mailbox the token was issued for.</param>
    /// <param name="accessToken">The access token.</param>
    /// <returns>The credential.</returns>
    public static SmtpCredential FromAccessToken(string userName, string accessToken) => new(userName, accessToken, true);

    /// <inheritdoc />
    public override string ToString() => $"{UserName} ({(IsAccessToken ? "OAuth2 access token" : "password")})";
}
