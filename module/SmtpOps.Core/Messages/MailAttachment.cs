using System;
using System.IO;

namespace SmtpOps.Messages;

/// <summary>
/// A file attached to a message. The file is streamed when the message is sent and is never
/// read into memory as a whole. An attachment with a <see cref="ContentId"/> is an inline part
/// that the HTML body references as <c>cid:ContentId</c>.
/// </summary>
public sealed class MailAttachment
{
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
        ContentId = contentId;
    }

    /// <summary>Gets the full path of the file.</summary>
    public string Path { get; }

    /// <summary>Gets the content id of an inline part, or <c>null</c> for a regular attachment.</summary>
    public string? ContentId { get; }

    /// <summary>Gets the file name shown to the recipient.</summary>
    public string FileName => System.IO.Path.GetFileName(Path);

    /// <summary>Gets whether this is an inline part referenced from the HTML body.</summary>
    public bool IsInline => ContentId is not null;

    /// <summary>Opens the file for streaming.</summary>
    internal Stream Open() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
}
