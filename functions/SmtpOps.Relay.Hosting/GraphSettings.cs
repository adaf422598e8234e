namespace SmtpOps.Relay.Hosting;

/// <summary>
/// Microsoft Graph settings for <c>Relay:Transport</c> Graph (section <c>Relay:Graph</c>). The identity is the one of
/// <c>Relay:OAuth</c> (Mode ManagedIdentity, ClientSecret or ClientCertificate); its token is asked for Graph's scope, not
/// Relay:OAuth:Scope. The app needs the Graph application permission Mail.Send (scope it to the mailbox with RBAC for
/// Applications in Exchange Online) and, for messages over about 3 MB, Mail.ReadWrite (drafts with upload sessions).
/// </summary>
public sealed class GraphSettings
{
    /// <summary>Gets or sets the mailbox to send as: user principal name or object id.</summary>
    public string? Mailbox { get; set; }

    /// <summary>Gets or sets the Graph endpoint; a national cloud has its own (https://graph.microsoft.us/, https://microsoftgraph.chinacloudapi.cn/).</summary>
    public string Endpoint { get; set; } = "https://graph.microsoft.com/";

    /// <summary>Gets or sets the token scope; by default the endpoint's origin + /.default.</summary>
    public string? Scope { get; set; }

    /// <summary>
    /// Gets or sets the longest Retry-After in seconds that one delivery waits out; a longer one makes the delivery a
    /// Retry, redelivered after that wait, so that a throttled mailbox does not hold the relay's workers.
    /// </summary>
    public double MaxRetryAfter { get; set; } = 30;
}
