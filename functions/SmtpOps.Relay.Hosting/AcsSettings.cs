namespace SmtpOps.Relay.Hosting;

/// <summary>
/// Azure Communication Services Email settings for <c>Relay:Transport</c> Acs (section <c>Relay:Acs</c>). The identity is
/// the Function's managed identity by default (system-assigned; <c>Relay:OAuth</c> picks another: a user-assigned identity's
/// ClientId, or an app registration), asked for https://communication.azure.com/.default; it needs a role on the
/// Communication Services resource that allows sending (functions/infra assigns one when it creates the resource). An
/// access key (a Key Vault reference) may be given instead, for resources where Entra authentication is not an option.
/// </summary>
public sealed class AcsSettings
{
    /// <summary>Gets or sets the Communication Services resource's endpoint, e.g. https://contoso.communication.azure.com/.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Gets or sets the API version: 2025-09-01 (inline images) by default, or 2023-03-31.</summary>
    public string ApiVersion { get; set; } = "2025-09-01";

    /// <summary>Gets or sets the resource's access key (Base64; a Key Vault reference in Azure), instead of the identity; never logged.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Gets or sets the token scope; https://communication.azure.com/.default by default.</summary>
    public string? Scope { get; set; }

    /// <summary>
    /// Gets or sets the longest Retry-After in seconds that one delivery waits out; a longer one makes the delivery a
    /// Retry, redelivered after that wait, so that a throttled resource does not hold the relay's workers.
    /// </summary>
    public double MaxRetryAfter { get; set; } = 30;

    /// <summary>Gets or sets how long in seconds a send's operation is polled for its final status; still running after it, the message counts as sent (ACS has it).</summary>
    public double MaxPollTime { get; set; } = 60;
}
