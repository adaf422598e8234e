using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MimeKit;
using MimeKit.Text;
using MimeKit.Utils;

namespace SmtpOps.Messages;

/// <summary>
/// Validates a <see cref="MailMessageDefinition"/> and builds the MIME message from it.
/// Validation happens before any file is opened, so bad input fails before anything is sent.
/// </summary>
public static class MessageComposer
{
    // Fields the composer writes itself; a custom header must not replace them.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Message-ID", "Date",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
    };

    // Trace and authentication fields (and every ARC-* field, RFC 8617): written by the servers and signers a
    // message passes, never by its sender. A forged one misleads spam filters, DMARC checks and whoever reads
    // the message's path.
    private static readonly HashSet<string> TraceHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Return-Path", "Received", "Received-SPF", "Authentication-Results", "DKIM-Signature", "DomainKey-Signature",
    };

    private static readonly char[] LineBreaks = { '\r', '\n', '\0' };

    private static readonly ParserOptions StrictAddressOptions = CreateStrictAddressOptions();

    /// <summary>
    /// Validates the definition and builds the message as an opaque <see cref="ComposedMessage"/>
    /// for <see cref="Smtp.SmtpSubmitter.SendAsync(ComposedMessage, System.Threading.CancellationToken)"/>.
    /// </summary>
    /// <param name="definition">The message to build.</param>
    /// <returns>The composed message; the caller disposes it.</returns>
    /// <exception cref="MessageValidationException">The definition is not a valid message.</exception>
    public static ComposedMessage Prepare(MailMessageDefinition definition)
    {
        var message = Compose(definition);
        var sender = message.From.Mailboxes.Select(m => m.Address).FirstOrDefault() ?? string.Empty;
        return new ComposedMessage(message, definition.DeliveryNotification, sender);
    }

    /// <summary>
    /// Validates the definition and builds the message. The caller owns the returned message
    /// and must dispose it: it holds the attachment files open until then.
    /// </summary>
    /// <param name="definition">The message to build.</param>
    /// <returns>The MIME message, ready to send.</returns>
    /// <exception cref="MessageValidationException">The definition is not a valid message.</exception>
    public static MimeMessage Compose(MailMessageDefinition definition)
    {
        if (definition is null)
        {
            throw new ArgumentNullException(nameof(definition));
        }

        var from = ParseAddresses(new[] { definition.From }, "From");
        if (from.Count == 0)
        {
            throw new MessageValidationException(MessageValidationError.MissingSender, null, "The message has no sender (From).");
        }

        if (from.Count > 1)
        {
            throw new MessageValidationException(MessageValidationError.InvalidAddress, definition.From, $"From must be a single address, not '{definition.From}'.");
        }

        var to = ParseAddresses(definition.To, "To");
        var cc = ParseAddresses(definition.Cc, "Cc");
        var bcc = ParseAddresses(definition.Bcc, "Bcc");
        var replyTo = ParseAddresses(definition.ReplyTo, "ReplyTo");
        if (to.Count + cc.Count + bcc.Count == 0)
        {
            throw new MessageValidationException(MessageValidationError.MissingRecipient, null, "The message has no recipient in To, Cc or Bcc.");
        }

        RefuseLineBreaks(definition.Subject, "Subject");
        ValidateMessageId(definition.MessageId);
        ValidateHeaders(definition.Headers);
        ValidateAttachments(definition.Attachments);

        var message = new MimeMessage();
        try
        {
            message.From.Add(from[0]);
            message.To.AddRange(to);
            message.Cc.AddRange(cc);
            message.Bcc.AddRange(bcc);
            message.ReplyTo.AddRange(replyTo);
            message.Subject = definition.Subject ?? string.Empty;
            message.MessageId = definition.MessageId ?? MimeUtils.GenerateMessageId(from[0].Domain);
            ApplyPriority(message, definition.Priority);
            foreach (var header in definition.Headers)
            {
                message.Headers.Add(header.Key, header.Value);
            }

            message.Body = BuildBody(definition);
            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Parses addresses the way <see cref="Compose"/> does: each entry may hold several
    /// comma-separated mailboxes; every mailbox must have a domain.
    /// </summary>
    /// <param name="entries">The entries to parse.</param>
    /// <param name="field">The field name, for error messages.</param>
    /// <returns>The mailboxes.</returns>
    /// <exception cref="MessageValidationException">An entry is not a valid address list.</exception>
    public static IReadOnlyList<MailboxAddress> ParseAddresses(IEnumerable<string> entries, string field)
    {
        var result = new List<MailboxAddress>();
        foreach (var entry in entries)
        {
            if (string.IsNullOrWhiteSpace(entry))
            {
                continue;
            }

            RefuseLineBreaks(entry, field);
            if (!InternetAddressList.TryParse(StrictAddressOptions, entry, out var list) || list.Count == 0)
            {
                throw new MessageValidationException(MessageValidationError.InvalidAddress, entry, $"'{entry}' in {field} is not a valid e-mail address.");
            }

            foreach (var address in list)
            {
                if (address is not MailboxAddress mailbox || string.IsNullOrEmpty(mailbox.Domain) || mailbox.LocalPart.Length == 0)
                {
                    throw new MessageValidationException(MessageValidationError.InvalidAddress, entry, $"'{entry}' in {field} is not a valid e-mail address (a mailbox with a domain is required).");
                }

                result.Add(mailbox);
            }
        }

        return result;
    }

    private static ParserOptions CreateStrictAddressOptions()
    {
        var options = ParserOptions.Default.Clone();
        options.AllowAddressesWithoutDomain = false;
        options.AddressParserComplianceMode = RfcComplianceMode.Strict;
        return options;
    }

    private static void RefuseLineBreaks(string? value, string field)
    {
        if (value is not null && value.IndexOfAny(LineBreaks) >= 0)
        {
            throw new MessageValidationException(MessageValidationError.HeaderInjection, value, $"{field} contains a line break or NUL character; header injection is refused.");
        }
    }

    private static void ValidateMessageId(string? messageId)
    {
        if (messageId is not null && (!IsWrittenAsGiven(messageId) || messageId.IndexOf('@') <= 0 || messageId.LastIndexOf('@') == messageId.Length - 1))
        {
            throw new MessageValidationException(MessageValidationError.InvalidHeader, messageId, $"'{messageId}' is not a valid Message-ID (id-left@id-right, without angle brackets).");
        }
    }

    private static void ValidateHeaders(IReadOnlyDictionary<string, string> headers)
    {
        foreach (var header in headers)
        {
            if (header.Key.Length == 0 || header.Key.Any(c => c <= ' ' || c > '~' || c == ':'))
            {
                RefuseLineBreaks(header.Key, "A header name");
                throw new MessageValidationException(MessageValidationError.InvalidHeader, header.Key, $"'{header.Key}' is not a valid header field name.");
            }

            if (ReservedHeaders.Contains(header.Key))
            {
                throw new MessageValidationException(MessageValidationError.InvalidHeader, header.Key, $"The header '{header.Key}' is set from its own parameter and cannot be given as a custom header.");
            }

            if (header.Key.StartsWith("Resent-", StringComparison.OrdinalIgnoreCase))
            {
                throw new MessageValidationException(MessageValidationError.InvalidHeader, header.Key, $"The header '{header.Key}' is reserved and cannot be given as a custom header: Resent-* fields claim a resend and would redirect the SMTP envelope in some clients (the envelope comes from From, To, Cc and Bcc only).");
            }

            if (TraceHeaders.Contains(header.Key) || header.Key.StartsWith("ARC-", StringComparison.OrdinalIgnoreCase))
            {
                throw new MessageValidationException(MessageValidationError.InvalidHeader, header.Key, $"The header '{header.Key}' is reserved and cannot be given as a custom header: trace and authentication fields are written by the servers and signers that handle the message, and a forged one misleads spam filters and DMARC checks.");
            }

            RefuseLineBreaks(header.Value, $"Header '{header.Key}'");
        }
    }

    private static void ValidateAttachments(IReadOnlyList<MailAttachment> attachments)
    {
        var contentIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var attachment in attachments)
        {
            if (attachment.Path is not null && !File.Exists(attachment.Path))
            {
                throw new MessageValidationException(MessageValidationError.AttachmentNotFound, attachment.Path, $"The file '{attachment.Path}' does not exist.");
            }

            // The file name and content type are written into the part's Content-Type and Content-Disposition.
            RefuseLineBreaks(attachment.FileName, "An attachment's file name");
            if (attachment.ContentType is { } contentType)
            {
                RefuseLineBreaks(contentType, $"The content type of attachment '{attachment.FileName}'");
                if (ParseContentType(contentType) is null)
                {
                    throw new MessageValidationException(MessageValidationError.InvalidContentType, contentType, $"'{contentType}' (attachment '{attachment.FileName}') is not a valid MIME type for a file: type/subtype with optional parameters, such as 'text/csv; charset=utf-8', and not multipart.");
                }
            }

            if (attachment.ContentId is { } cid && (!IsWrittenAsGiven(cid) || !contentIds.Add(cid)))
            {
                throw new MessageValidationException(MessageValidationError.InvalidContentId, cid, $"The inline content id '{cid}' is empty, malformed or used twice.");
            }
        }
    }

    // A Message-ID or Content-ID: printable ASCII without spaces or angle brackets, which MimeKit's msg-id parser
    // takes unchanged both as given (the MessageId and ContentId setters throw for what it refuses, and drop what
    // it skips) and as written in angle brackets (what a reader parses: 'a@' is taken but read back as nothing).
    private static bool IsWrittenAsGiven(string id)
        => id.Length > 0
        && !id.Any(c => c <= ' ' || c > '~' || c == '<' || c == '>')
        && MimeUtils.ParseMessageId(id) == id
        && MimeUtils.ParseMessageId("<" + id + ">") == id;

    // The attachment's Content-Type as the part will carry it, or null when it is not a file's MIME type.
    // ContentType.Parse, the parser MimePart(string) uses, throws where TryParse tolerates (an unterminated
    // quoted parameter), so it is the judge; a multipart type cannot be a leaf part holding a file.
    private static ContentType? ParseContentType(string value)
    {
        try
        {
            var parsed = ContentType.Parse(value);
            return parsed.IsMimeType("multipart", "*") ? null : parsed;
        }
        catch (ParseException)
        {
            return null;
        }
    }

    private static void ApplyPriority(MimeMessage message, MessagePriority priority)
    {
        // The same trio of headers Outlook and System.Net.Mail write.
        switch (priority)
        {
            case MessagePriority.High:
                message.Priority = MimeKit.MessagePriority.Urgent;
                message.Importance = MessageImportance.High;
                message.XPriority = XMessagePriority.High;
                break;
            case MessagePriority.Low:
                message.Priority = MimeKit.MessagePriority.NonUrgent;
                message.Importance = MessageImportance.Low;
                message.XPriority = XMessagePriority.Low;
                break;
        }
    }

    private static MimeEntity BuildBody(MailMessageDefinition definition)
    {
        var inline = definition.HtmlBody is null ? new List<MailAttachment>() : definition.Attachments.Where(a => a.IsInline).ToList();
        var attached = definition.Attachments.Except(inline).ToList();

        MimeEntity? html = null;
        if (definition.HtmlBody is not null)
        {
            var htmlPart = CreateText(TextFormat.Html, definition.HtmlBody, definition);
            if (inline.Count == 0)
            {
                html = htmlPart;
            }
            else
            {
                // The first part of multipart/related is its root: the HTML that references the images.
                var related = new MultipartRelated { htmlPart };
                foreach (var part in inline)
                {
                    related.Add(CreateFilePart(part));
                }

                html = related;
            }
        }

        var text = definition.TextBody is null && html is not null ? null : CreateText(TextFormat.Plain, definition.TextBody ?? string.Empty, definition);
        MimeEntity body = (text, html) switch
        {
            ({ } t, { } h) => new MultipartAlternative { t, h },
            (null, { } h) => h,
            _ => text!,
        };

        if (attached.Count == 0)
        {
            return body;
        }

        var mixed = new Multipart("mixed") { body };
        foreach (var attachment in attached)
        {
            mixed.Add(CreateFilePart(attachment));
        }

        return mixed;
    }

    private static TextPart CreateText(TextFormat format, string content, MailMessageDefinition definition)
    {
        // A copy that replaces what it cannot encode (a lone surrogate; a character outside a single-byte
        // charset), as the default UTF-8 does, instead of throwing EncoderFallbackException from Compose.
        var encoding = (Encoding)(definition.BodyEncoding ?? new UTF8Encoding(false)).Clone();
        encoding.EncoderFallback = EncoderFallback.ReplacementFallback;
        var part = new TextPart(format);
        part.SetText(encoding, WithoutBareCarriageReturns(content));
        return part;
    }

    // RFC 5321 2.3.8: a client must not send a CR that is not followed by LF; a receiver that takes a bare CR for a
    // line end would read "\r.\r" as the end of the data and the rest as commands (the SMTP smuggling family). Each
    // becomes CRLF, as a bare LF already does on the way out.
    private static string WithoutBareCarriageReturns(string content)
    {
        var index = content.IndexOf('\r');
        if (index < 0)
        {
            return content;
        }

        var builder = new StringBuilder(content.Length + 16);
        builder.Append(content, 0, index);
        for (var i = index; i < content.Length; i++)
        {
            builder.Append(content[i]);
            if (content[i] == '\r' && (i + 1 == content.Length || content[i + 1] != '\n'))
            {
                builder.Append('\n');
            }
        }

        return builder.ToString();
    }

    private static MimePart CreateFilePart(MailAttachment attachment)
    {
        Stream stream;
        try
        {
            stream = attachment.Open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MessageValidationException(MessageValidationError.AttachmentUnreadable, attachment.Path ?? attachment.FileName, $"The attachment '{attachment.Path ?? attachment.FileName}' cannot be read: {ex.Message}");
        }

        var contentType = attachment.ContentType is { } given ? ParseContentType(given)! : ContentType.Parse(MimeTypes.GetMimeType(attachment.FileName));
        return new MimePart(contentType)
        {
            Content = new MimeContent(stream),
            ContentDisposition = new ContentDisposition(attachment.IsInline ? ContentDisposition.Inline : ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = attachment.FileName,
            ContentId = attachment.ContentId,
        };
    }
}
