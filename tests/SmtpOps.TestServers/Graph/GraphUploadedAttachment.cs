namespace SmtpOps.TestServers.Graph;

/// <summary>An attachment uploaded through an upload session; its bytes are in a file on disk, never in memory.</summary>
/// <param name="Name">The attachment name from the AttachmentItem.</param>
/// <param name="ContentType">The content type from the AttachmentItem, or <c>null</c>.</param>
/// <param name="ContentId">The content id from the AttachmentItem, or <c>null</c>.</param>
/// <param name="IsInline">Whether the AttachmentItem said isInline.</param>
/// <param name="Size">The size declared in the AttachmentItem (all of it was uploaded).</param>
/// <param name="Path">The file holding the uploaded bytes.</param>
public sealed record GraphUploadedAttachment(string Name, string? ContentType, string? ContentId, bool IsInline, long Size, string Path);
