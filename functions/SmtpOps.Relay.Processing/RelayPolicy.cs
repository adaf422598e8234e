using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Messages;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// What the relay agrees to send. A compromised enqueuer must not be able to spoof any sender,
/// so the allow-list is required: with none configured every message is refused.
/// </summary>
public sealed class RelayPolicy
{
    /// <summary>Gets the allowed senders: full addresses (reports@contoso.com) or domains (contoso.com or @contoso.com).</summary>
    public IReadOnlyList<string> AllowedSenders { get; init; } = Array.Empty<string>();

    /// <summary>Gets the most recipients (To, Cc and Bcc together) one message may have.</summary>
    public int MaxRecipients { get; init; } = 100;

    /// <summary>Gets the largest message, bodies and attachments together, in bytes.</summary>
    public long MaxMessageBytes { get; init; } = 25L * 1024 * 1024;

    /// <summary>Checks an envelope against the policy.</summary>
    /// <param name="envelope">The envelope.</param>
    /// <returns>Why it is refused, or <c>null</c> when it may be sent.</returns>
    public string? Check(RelayEnvelope envelope)
    {
        if (envelope is null)
        {
            throw new ArgumentNullException(nameof(envelope));
        }

        string sender;
        try
        {
            sender = MessageComposer.ParseAddresses(new[] { envelope.From }, "From").Single().Address;
        }
        catch (Exception ex) when (ex is MessageValidationException or InvalidOperationException)
        {
            return $"the sender '{envelope.From}' is not a single valid address";
        }

        if (!AllowedSenders.Any(allowed => Allows(allowed.Trim(), sender)))
        {
            return AllowedSenders.Count == 0
                ? "no allowed senders are configured: the relay sends nothing until Relay:Policy:AllowedSenders is set"
                : $"the sender {sender} is not in the allow-list";
        }

        var recipients = envelope.To.Count + envelope.Cc.Count + envelope.Bcc.Count;
        if (recipients > MaxRecipients)
        {
            return $"{recipients} recipients exceed the limit of {MaxRecipients}";
        }

        var size = (envelope.TextBody?.Length ?? 0) + (envelope.HtmlBody?.Length ?? 0) + envelope.Attachments.Sum(a => a.Length);
        return size > MaxMessageBytes ? $"the message is {size:n0} bytes, over the limit of {MaxMessageBytes:n0}" : null;
    }

    private static bool Allows(string allowed, string sender)
    {
        if (allowed.Length == 0)
        {
            return false;
        }

        if (allowed.Contains('@') && !allowed.StartsWith("@", StringComparison.Ordinal))
        {
            return string.Equals(allowed, sender, StringComparison.OrdinalIgnoreCase);
        }

        var domain = allowed.TrimStart('@');
        return sender.EndsWith("@" + domain, StringComparison.OrdinalIgnoreCase);
    }
}
