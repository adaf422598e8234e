using System.Management.Automation;
using System.Net;
using System.Security;
using SmtpOps.Smtp;

namespace SmtpOps.PowerShell.Parameters;

/// <summary>Turns the -Credential or -AccessToken/-UserName parameters of a cmdlet into Core's credential.</summary>
internal static class CredentialParameters
{
    public static SmtpCredential? ToSmtpCredential(PSCredential? credential, SecureString? accessToken, string? userName)
    {
        if (credential is not null)
        {
            return SmtpCredential.FromPassword(credential.UserName, credential.GetNetworkCredential().Password);
        }

        return accessToken is null || string.IsNullOrEmpty(userName)
            ? null
            : SmtpCredential.FromAccessToken(userName!, Unwrap(accessToken));
    }

    public static string Unwrap(SecureString secret) => new NetworkCredential(string.Empty, secret).Password;
}
