namespace SmtpOps.Relay.Hosting;

/// <summary>How the relay gets its OAuth2 token for XOAUTH2.</summary>
public enum OAuthMode
{
    /// <summary>No OAuth2: AUTH with a user name and password, or none.</summary>
    None,

    /// <summary>The Function's managed identity (system-assigned, or user-assigned with <see cref="OAuthSettings.ClientId"/>).</summary>
    ManagedIdentity,

    /// <summary>An app registration with a client secret.</summary>
    ClientSecret,

    /// <summary>An app registration with a certificate (a PFX or PEM file with its private key).</summary>
    ClientCertificate,
}
