namespace SmtpOps.Relay.Hosting;

/// <summary>
/// The DKIM key of one sending domain: <c>Relay:Dkim:&lt;domain&gt;:Selector</c> and either <c>:KeyPem</c> (the PEM text,
/// in Azure a Key Vault reference) or <c>:KeyPath</c> (a PEM file). Mail whose From domain is this domain or a subdomain
/// of it is signed with d=&lt;domain&gt;.
/// </summary>
public sealed class DkimDomainSettings
{
    /// <summary>Gets or sets the selector (s=): the key is published at &lt;selector&gt;._domainkey.&lt;domain&gt;.</summary>
    public string Selector { get; set; } = string.Empty;

    /// <summary>Gets or sets the private key as PEM text (a Key Vault reference in Azure); never logged.</summary>
    public string? KeyPem { get; set; }

    /// <summary>Gets or sets the path of a PEM file holding the private key, instead of <see cref="KeyPem"/>.</summary>
    public string? KeyPath { get; set; }
}
