using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using MimeKit;

namespace SmtpOps.Acs;

/// <summary>
/// A composed message as the JSON body of <c>POST {endpoint}/emails:send</c>
/// (https://learn.microsoft.com/en-us/rest/api/communication/dataplane/email/send; the EmailMessage schema of
/// azure-rest-api-specs specification/communication/data-plane/Email/stable/2023-03-31 and 2025-09-01): senderAddress
/// (the From address; ACS shows the display name configured for that MailFrom address, not the message's),
/// content.subject/plainText/html, recipients.to/cc/bcc with displayName, replyTo, attachments (name, contentType,
/// contentInBase64, and contentId for an inline part: the content id added with 2025-09-01,
/// https://learn.microsoft.com/en-us/azure/communication-services/quickstarts/email/send-email-advanced/send-email-with-inline-attachments),
/// headers (every header of the message that is not one of the fields above or MIME structure: custom headers, the
/// Message-ID, and importance as Importance/X-Priority/Priority), and userEngagementTrackingDisabled. What ACS cannot carry
/// is refused before anything is sent: more recipients than <see cref="AcsEmailOptions.MaxRecipients"/>, a body over
/// <see cref="AcsEmailOptions.MaxRequestBytes"/>, inline parts with API version 2023-03-31.
/// </summary>
internal static class AcsEmailPayload
{
    // The fields the JSON carries itself, and the MIME structure ACS builds anew: never passed as custom headers.
    private static readonly HashSet<string> CarriedElsewhere = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
        "Content-Disposition", "Content-ID", "Content-Description", "Content-Language", "Content-Location", "Return-Path", "Received",
    };

    /// <summary>Builds the request body; throws <see cref="AcsTransportException"/> of kind NotSupported for what ACS cannot carry.</summary>
    public static byte[] Build(MimeMessage message, AcsEmailOptions options, CancellationToken cancellationToken)
    {
        var sender = message.From.Mailboxes.FirstOrDefault()
            ?? throw new AcsTransportException(AcsFailureKind.NotSupported, "The message has no From address to send as.", errorCode: "NoSender");
        var to = message.To.Mailboxes.ToList();
        var cc = message.Cc.Mailboxes.ToList();
        var bcc = message.Bcc.Mailboxes.ToList();
        var count = to.Count + cc.Count + bcc.Count;
        if (count == 0)
        {
            throw new AcsTransportException(AcsFailureKind.NotSupported, "The message has no recipient.", errorCode: "NoRecipients");
        }

        if (count > options.MaxRecipients)
        {
            throw new AcsTransportException(
                AcsFailureKind.NotSupported,
                $"The message has {count} recipients (To, Cc and Bcc together); Azure Communication Services Email takes at most {options.MaxRecipients} per message.",
                errorCode: "TooManyRecipients",
                guidance: $"Split the recipients over several messages of at most {options.MaxRecipients}.");
        }

        var attachments = AttachmentParts(message);
        if (attachments.Any(a => a.Inline) && options.ApiVersion == AcsEmailOptions.ApiVersion20230331)
        {
            throw new AcsTransportException(
                AcsFailureKind.NotSupported,
                $"The message has inline images, which API version {AcsEmailOptions.ApiVersion20230331} cannot carry (attachments have no contentId before {AcsEmailOptions.ApiVersion20250901}).",
                errorCode: "InlineAttachmentsNotSupported",
                guidance: $"Use API version {AcsEmailOptions.ApiVersion20250901}, or send the images as plain attachments.");
        }

        // Refused before any file is read when the attachments alone are clearly over the limit.
        var estimate = attachments.Sum(a => Base64Length(EstimatedSize(a.Part)));
        if (estimate > options.MaxRequestBytes)
        {
            throw TooLarge(estimate, options);
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("senderAddress", sender.Address);
            json.WriteStartObject("content");
            json.WriteString("subject", message.Subject ?? string.Empty);
            if (message.TextBody is { } text)
            {
                json.WriteString("plainText", text);
            }

            if (message.HtmlBody is { } html)
            {
                json.WriteString("html", html);
            }

            json.WriteEndObject();
            json.WriteStartObject("recipients");
            WriteAddresses(json, "to", to, always: true);
            WriteAddresses(json, "cc", cc, always: false);
            WriteAddresses(json, "bcc", bcc, always: false);
            json.WriteEndObject();
            WriteAddresses(json, "replyTo", message.ReplyTo.Mailboxes.ToList(), always: false);
            WriteHeaders(json, message);
            if (attachments.Count > 0)
            {
                json.WriteStartArray("attachments");
                foreach (var (part, inline) in attachments)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    json.WriteStartObject();
                    json.WriteString("name", part.FileName ?? part.ContentType.Name ?? (inline ? part.ContentId : "attachment"));
                    json.WriteString("contentType", part.ContentType.MimeType);
                    using (var decoded = new MemoryStream())
                    {
                        part.Content?.DecodeTo(decoded, cancellationToken);
                        json.WriteBase64String("contentInBase64", new ReadOnlySpan<byte>(decoded.GetBuffer(), 0, (int)decoded.Length));
                    }

                    if (inline)
                    {
                        json.WriteString("contentId", part.ContentId);
                    }

                    json.WriteEndObject();
                    json.Flush();
                    if (buffer.Length > options.MaxRequestBytes)
                    {
                        throw TooLarge(buffer.Length, options);
                    }
                }

                json.WriteEndArray();
            }

            if (options.UserEngagementTrackingDisabled is { } disabled)
            {
                json.WriteBoolean("userEngagementTrackingDisabled", disabled);
            }

            json.WriteEndObject();
        }

        if (buffer.Length > options.MaxRequestBytes)
        {
            throw TooLarge(buffer.Length, options);
        }

        return buffer.ToArray();
    }

    private static AcsTransportException TooLarge(long length, AcsEmailOptions options) => new(
        AcsFailureKind.NotSupported,
        $"The message is too large for Azure Communication Services Email: its request would be at least {length:N0} bytes with the attachments in Base64, over the limit of {options.MaxRequestBytes:N0} bytes (ACS takes at most 10 MB per request, attachments included).",
        errorCode: "MessageTooLarge",
        guidance: "Send fewer or smaller attachments (Base64 makes 4 bytes of every 3: about 7.5 MB of files in all), or share large files by link.");

    private static long Base64Length(long bytes) => (bytes + 2) / 3 * 4;

    private static long EstimatedSize(MimePart part)
    {
        if (part.Content?.Stream is not { CanSeek: true } stream)
        {
            return 0;
        }

        return part.Content.Encoding is ContentEncoding.Base64 ? stream.Length / 4 * 3 : stream.Length;
    }

    // Every leaf part that is not the text or HTML body: attachments, and inline parts (those with a content id).
    private static List<(MimePart Part, bool Inline)> AttachmentParts(MimeMessage message)
    {
        var parts = new List<(MimePart, bool)>();
        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            if (part.IsAttachment)
            {
                parts.Add((part, false));
            }
            else if (part.ContentId is not null && !(part is TextPart { IsPlain: true } or TextPart { IsHtml: true }))
            {
                parts.Add((part, true));
            }
        }

        return parts;
    }

    private static void WriteAddresses(Utf8JsonWriter json, string name, List<MailboxAddress> addresses, bool always)
    {
        if (addresses.Count == 0 && !always)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var address in addresses)
        {
            json.WriteStartObject();
            json.WriteString("address", address.Address);
            if (!string.IsNullOrEmpty(address.Name))
            {
                json.WriteString("displayName", address.Name);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteHeaders(Utf8JsonWriter json, MimeMessage message)
    {
        var headers = new List<(string Name, string Value)>();
        foreach (var header in message.Headers)
        {
            if (!CarriedElsewhere.Contains(header.Field) && !header.Field.StartsWith("Resent-", StringComparison.OrdinalIgnoreCase))
            {
                headers.Add((header.Field, header.Field.Equals("Message-ID", StringComparison.OrdinalIgnoreCase) ? "<" + message.MessageId + ">" : header.Value.Trim()));
            }
        }

        if (headers.Count == 0)
        {
            return;
        }

        // A JSON object: a header given twice keeps its last value (ACS takes one value per name).
        json.WriteStartObject("headers");
        foreach (var group in headers.GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase))
        {
            json.WriteString(group.Key, group.Last().Value);
        }

        json.WriteEndObject();
    }
}
