namespace SmtpOps.Relay;

/// <summary>
/// An attachment in a <see cref="RelayEnvelope"/>: its content inline (Base64) for small
/// messages, or the name of a blob holding it (the claim check) for large ones.
/// </summary>
public sealed record RelayAttachment
{
    /// <summary>Gets the file name shown to the recipient.</summary>
    public string FileName { get; init; } = string.Empty;

    /// <summary>Gets the MIME type.</summary>
    public string ContentType { get; init; } = "application/octet-stream";

    /// <summary>Gets the content id of an inline part, or <c>null</c>.</summary>
    public string? ContentId { get; init; }

    /// <summary>Gets the content length in bytes, as the enqueuer declared it: for the operator only; limits measure the content itself.</summary>
    public long Length { get; init; }

    /// <summary>Gets the Base64 content when it travels inside the queue message, else <c>null</c>.</summary>
    public string? Content { get; init; }

    /// <summary>
    /// Gets the blob (in the relay's attachment container) that holds the content, else <c>null</c>: exactly
    /// <c>&lt;envelope id&gt;/&lt;position of this attachment&gt;/&lt;file segment&gt;</c> (<see cref="RelayBlobStore.AttachmentBlobName"/>).
    /// </summary>
    public string? Blob { get; init; }
}
