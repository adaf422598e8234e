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

    /// <summary>
    /// Gets the largest message, in bytes of content: the bodies' UTF-8 bytes and the attachments' real bytes (inline
    /// content decoded, claim-check blobs as Storage measures them; never the lengths an envelope declares).
    /// </summary>
    public long MaxMessageBytes { get; init; } = 25L * 1024 * 1024;

    /// <summary>
    /// Gets the largest oversized envelope's blob the relay reads at all: twice <see cref="MaxMessageBytes"/> (room for
    /// JSON's escapes of line ends and quotes in the bodies) and 64 KiB for its other fields. A larger one is refused
    /// from its properties, without a download.
    /// </summary>
    public long MaxEnvelopeBlobBytes => (2 * MaxMessageBytes) + (64 * 1024);

    /// <summary>Checks an envelope against the policy: its sender, its recipients as they will be sent, its real size.</summary>
    /// <param name="envelope">The envelope.</param>
    /// <param name="messageBytes">The message's size as measured (see <see cref="MaxMessageBytes"/>).</param>
    /// <param name="sender">The sender's address as checked (the one MAIL FROM will carry), or empty when it is not one address.</param>
    /// <returns>Why it is refused, or <c>null</c> when it may be sent.</returns>
    public string? Check(RelayEnvelope envelope, long messageBytes, out string sender)
    {
        if (envelope is null)
        {
            throw new ArgumentNullException(nameof(envelope));
        }

        sender = string.Empty;
        try
        {
            sender = MessageComposer.ParseAddresses(new[] { envelope.From }, "From").Single().Address;
        }
        catch (Exception ex) when (ex is MessageValidationException or InvalidOperationException)
        {
            return $"the sender '{envelope.From}' is not a single valid address";
        }

        var allowedSender = sender;
        if (!AllowedSenders.Any(allowed => Allows(allowed.Trim(), allowedSender)))
        {
            return AllowedSenders.Count == 0
                ? "no allowed senders are configured: the relay sends nothing until Relay:Policy:AllowedSenders is set"
                : $"the sender {sender} is not in the allow-list";
        }

        // Each mailbox is one RCPT: an entry holding several addresses counts each of them.
        int recipients;
        try
        {
            recipients = MessageComposer.ParseAddresses(envelope.To, "To").Count + MessageComposer.ParseAddresses(envelope.Cc, "Cc").Count + MessageComposer.ParseAddresses(envelope.Bcc, "Bcc").Count;
        }
        catch (MessageValidationException ex)
        {
            return ex.Message;
        }

        if (recipients > MaxRecipients)
        {
            return $"{recipients} recipients exceed the limit of {MaxRecipients}";
        }

        return messageBytes > MaxMessageBytes ? $"the message is {messageBytes:n0} bytes, over the limit of {MaxMessageBytes:n0}" : null;
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
