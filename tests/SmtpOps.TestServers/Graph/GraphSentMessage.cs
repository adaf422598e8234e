using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MimeKit;

namespace SmtpOps.TestServers.Graph;

/// <summary>A message the Graph contract endpoint accepted for sending, as it would leave the mailbox.</summary>
/// <param name="Mailbox">The user id or address in the request path (<c>/users/{id}/...</c>).</param>
/// <param name="Mime">The decoded MIME of the message (for a draft: the MIME it was created from, without the attachments added to it later).</param>
/// <param name="Attachments">The attachments added to the draft (upload sessions and attachment POSTs), in the order they were completed.</param>
/// <param name="Route">How it was sent: <c>sendMail</c> or <c>draft</c> (create, attachments, send).</param>
/// <param name="SentAt">When the endpoint accepted it.</param>
public sealed record GraphSentMessage(string Mailbox, byte[] Mime, IReadOnlyList<GraphUploadedAttachment> Attachments, string Route, DateTimeOffset SentAt)
{
    /// <summary>
    /// The message as it goes out: the draft's MIME with every attachment added to the draft as a part of its own (name,
    /// content type, content id, inline or attachment disposition). An inline part joins the body's multipart/related when
    /// there is one. The parts read their files when written or decoded: dispose the message to close them.
    /// </summary>
    /// <returns>The assembled message.</returns>
    public MimeMessage Assemble()
    {
        var message = MimeMessage.Load(new MemoryStream(Mime, writable: false));
        if (Attachments.Count == 0)
        {
            return message;
        }

        if (message.Body is not Multipart mixed || !mixed.ContentType.IsMimeType("multipart", "mixed"))
        {
            mixed = new Multipart("mixed");
            if (message.Body is not null)
            {
                mixed.Add(message.Body);
            }

            message.Body = mixed;
        }

        var related = FindRelated(mixed);
        foreach (var attachment in Attachments)
        {
            var part = new MimePart(attachment.ContentType ?? "application/octet-stream")
            {
                Content = new MimeContent(File.OpenRead(attachment.Path)),
                ContentDisposition = new ContentDisposition(attachment.IsInline ? ContentDisposition.Inline : ContentDisposition.Attachment),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = attachment.Name,
                ContentId = attachment.ContentId,
            };
            (attachment.IsInline && related is not null ? related : mixed).Add(part);
        }

        return message;
    }

    private static Multipart? FindRelated(Multipart multipart)
    {
        if (multipart.ContentType.IsMimeType("multipart", "related"))
        {
            return multipart;
        }

        return multipart.OfType<Multipart>().Select(FindRelated).FirstOrDefault(found => found is not null);
    }
}
