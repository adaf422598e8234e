using System;
using System.IO;

namespace SmtpOps.Messages;

/// <summary>
/// A file attached to a message, streamed when the message is sent and never read into memory
/// as a whole: from a path on disk, or from a stream the caller opens on demand. An attachment
/// with a <see cref="ContentId"/> is an inline part that the HTML body references as <c>cid:ContentId</c>.
/// </summary>
public sealed class MailAttachment
{
    private readonly Func<Stream> open;

    /// <summary>Creates an attachment that streams the file at <paramref name="path"/>.</summary>
    /// <param name="path">The full path of the file.</param>
    /// <param name="contentId">The content id for an inline part, or <c>null</c> for a regular attachment.</param>
    public MailAttachment(string path, string? contentId = null)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new ArgumentException("The attachment path is empty.", nameof(path));
        }

        Path = path;
        FileName = System.IO.Path.GetFileName(path);
        ContentId = contentId;
        open = () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
    }

    private MailAttachment(string fileName, Func<Stream> open, string? contentType, string? contentId)
    {
        FileName = fileName;
        ContentType = contentType;
        ContentId = contentId;
        this.open = open;
    }

    /// <summary>Gets the full path of the file, or <c>null</c> for an attachment made from a stream.</summary>
    public string? Path { get; }

    /// <summary>Gets the file name shown to the recipient.</summary>
    public string FileName { get; }

    /// <summary>Gets the MIME type, or <c>null</c> to derive it from the file name.</summary>
    public string? ContentType { get; }

    /// <summary>Gets the content id of an inline part, or <c>null</c> for a regular attachment.</summary>
    public string? ContentId { get; }

    /// <summary>Gets whether this is an inline part referenced from the HTML body.</summary>
    public bool IsInline => ContentId is not null;

    /// <summary>Creates an attachment whose content comes from a stream opened when the message is built.</summary>
    /// <param name="fileName">The file name shown to the recipient.</param>
    /// <param name="open">Opens the content; the message owns and disposes the stream. It should be seekable, so that a retry can send it again.</param>
    /// <param name="contentType">The MIME type, or <c>null</c> to derive it from the file name.</param>
    /// <param name="contentId">The content id for an inline part, or <c>null</c>.</param>
    /// <returns>The attachment.</returns>
    public static MailAttachment FromStream(string fileName, Func<Stream> open, string? contentType = null, string? contentId = null)
    {
        if (string.IsNullOrEmpty(fileName))
        {
            throw new ArgumentException("The attachment file name is empty.", nameof(fileName));
        }

        return new MailAttachment(fileName, open ?? throw new ArgumentNullException(nameof(open)), contentType, contentId);
    }

    /// <summary>Opens the content for streaming.</summary>
    internal Stream Open() => open();
}
