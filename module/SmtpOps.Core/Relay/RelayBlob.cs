using Azure;

namespace SmtpOps.Relay;

/// <summary>
/// A blob of the relay's claim-check container as Storage describes it before it is read: its checked name, its real
/// length (not what an envelope declares) and its ETag, so that what is read later is the blob that was measured.
/// </summary>
/// <param name="Name">The blob's name inside <c>&lt;queue&gt;-attachments</c>.</param>
/// <param name="Length">Its length in bytes.</param>
/// <param name="ETag">Its ETag when it was measured.</param>
public sealed record RelayBlob(string Name, long Length, ETag ETag);
