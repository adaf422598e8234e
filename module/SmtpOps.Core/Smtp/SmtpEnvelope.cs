using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit;
using SmtpOps.Messages;

namespace SmtpOps.Smtp;

/// <summary>
/// The SMTP envelope of a message (MAIL FROM and RCPT TO), taken from its From, To, Cc and Bcc fields only:
/// the fields <see cref="MessageComposer"/> writes from a validated definition. MailKit's
/// <c>SmtpClient.SendAsync(MimeMessage)</c> would take them from Resent-Sender, Resent-From, Resent-To,
/// Resent-Cc, Resent-Bcc and Sender instead when those are present, so a header field could redirect the
/// mail or add invisible recipients; with this envelope passed explicitly, no header field can.
/// </summary>
internal sealed class SmtpEnvelope
{
    private SmtpEnvelope(MailboxAddress sender, IReadOnlyList<MailboxAddress> recipients)
    {
        Sender = sender;
        Recipients = recipients;
    }

    /// <summary>Gets the reverse path (MAIL FROM): the single mailbox of the From field.</summary>
    public MailboxAddress Sender { get; }

    /// <summary>Gets the recipients (RCPT TO): the mailboxes of To, Cc and Bcc, in that order.</summary>
    public IReadOnlyList<MailboxAddress> Recipients { get; }

    /// <summary>Takes the envelope from the message's From, To, Cc and Bcc.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The envelope.</returns>
    /// <exception cref="MessageValidationException">From does not hold exactly one mailbox, or there is no recipient.</exception>
    public static SmtpEnvelope Of(MimeMessage message)
    {
        if (message is null)
        {
            throw new ArgumentNullException(nameof(message));
        }

        var from = message.From.Mailboxes.ToList();
        if (from.Count == 0)
        {
            throw new MessageValidationException(MessageValidationError.MissingSender, null, "The message has no sender (From); the SMTP envelope is taken from From only.");
        }

        if (from.Count > 1)
        {
            throw new MessageValidationException(MessageValidationError.InvalidAddress, message.From.ToString(), $"From must be a single address, not '{message.From}'.");
        }

        // MailKit sends each address once (compared without case), as it does for its own envelope.
        var recipients = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes).ToList();
        if (recipients.Count == 0)
        {
            throw new MessageValidationException(MessageValidationError.MissingRecipient, null, "The message has no recipient in To, Cc or Bcc; the SMTP envelope is taken from those only.");
        }

        return new SmtpEnvelope(from[0], recipients);
    }
}
