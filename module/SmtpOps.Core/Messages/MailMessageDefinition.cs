using System;
using System.Collections.Generic;
using System.Text;

namespace SmtpOps.Messages;

/// <summary>
/// Everything that makes up one message, as plain values: addresses as strings, files as
/// paths. <see cref="MessageComposer"/> validates it and turns it into a MIME message.
/// </summary>
public sealed record MailMessageDefinition
{
    /// <summary>Gets the sender, e.g. <c>"Reports &lt;reports@contoso.com&gt;"</c>.</summary>
    public string From { get; init; } = string.Empty;

    /// <summary>Gets the To recipients. An entry may hold several comma-separated addresses.</summary>
    public IReadOnlyList<string> To { get; init; } = Array.Empty<string>();

    /// <summary>Gets the Cc recipients.</summary>
    public IReadOnlyList<string> Cc { get; init; } = Array.Empty<string>();

    /// <summary>Gets the Bcc recipients (in the envelope only, never in the headers).</summary>
    public IReadOnlyList<string> Bcc { get; init; } = Array.Empty<string>();

    /// <summary>Gets the Reply-To addresses.</summary>
    public IReadOnlyList<string> ReplyTo { get; init; } = Array.Empty<string>();

    /// <summary>Gets the subject.</summary>
    public string Subject { get; init; } = string.Empty;

    /// <summary>Gets the plain-text body, or <c>null</c>.</summary>
    public string? TextBody { get; init; }

    /// <summary>Gets the HTML body, or <c>null</c>. With a text body too, the message is multipart/alternative.</summary>
    public string? HtmlBody { get; init; }

    /// <summary>Gets the attachments and inline parts, streamed from disk when sent.</summary>
    public IReadOnlyList<MailAttachment> Attachments { get; init; } = Array.Empty<MailAttachment>();

    /// <summary>Gets additional header fields (name to value).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the priority.</summary>
    public MessagePriority Priority { get; init; } = MessagePriority.Normal;

    /// <summary>Gets the character encoding of the bodies (UTF-8 unless set).</summary>
    public Encoding BodyEncoding { get; init; } = new UTF8Encoding(false);

    /// <summary>Gets the Message-ID (without angle brackets), or <c>null</c> to generate one from the sender's domain.</summary>
    public string? MessageId { get; init; }

    /// <summary>Gets the delivery status notifications requested for every recipient.</summary>
    public DeliveryNotification DeliveryNotification { get; init; } = DeliveryNotification.None;
}
