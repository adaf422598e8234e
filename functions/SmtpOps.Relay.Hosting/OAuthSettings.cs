using SmtpOps.Relay.Processing;

namespace SmtpOps.Relay.Hosting;

/// <summary>
/// OAuth2 client-credentials settings for XOAUTH2 (section <c>Relay:OAuth</c>). Exchange Online
/// turns Basic auth for SMTP AUTH off by default for existing tenants at the end of December 2026;
/// the app needs SMTP.SendAsApp and a service principal allowed on the mailbox.
/// </summary>
public sealed class OAuthSettings
{
    /// <summary>Gets or sets how the token is acquired.</summary>
    public OAuthMode Mode { get; set; } = OAuthMode.None;

    /// <summary>Gets or sets the Entra ID tenant (ClientSecret, ClientCertificate).</summary>
    public string? TenantId { get; set; }

    /// <summary>Gets or sets the app registration's client id, or a user-assigned managed identity's client id.</summary>
    public string? ClientId { get; set; }

    /// <summary>Gets or sets the client secret (a Key Vault reference in Azure); never logged.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Gets or sets the path of the client certificate (PFX or PEM with its private key).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Gets or sets the password of the PFX file, if it has one; never logged.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Gets or sets the mailbox that sends: the XOAUTH2 user.</summary>
    public string? Mailbox { get; set; }

    /// <summary>Gets or sets the token scope; Exchange Online's by default.</summary>
    public string Scope { get; set; } = OAuthCredentialSource.ExchangeOnlineScope;
}
