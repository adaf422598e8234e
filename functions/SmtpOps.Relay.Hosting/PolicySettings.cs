using System;

namespace SmtpOps.Relay.Hosting;

/// <summary>What the relay agrees to send (section <c>Relay:Policy</c>).</summary>
public sealed class PolicySettings
{
    /// <summary>Gets or sets the allowed senders: addresses (reports@contoso.com) or domains (contoso.com). Required.</summary>
    public string[] AllowedSenders { get; set; } = Array.Empty<string>();

    /// <summary>Gets or sets the most recipients per message (Exchange Online: 500).</summary>
    public int MaxRecipients { get; set; } = 100;

    /// <summary>Gets or sets the largest message, bodies and attachments together, in bytes.</summary>
    public long MaxMessageBytes { get; set; } = 25L * 1024 * 1024;
}
