using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using SmtpOps.Messages;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// Reads what a queue message points at, as its attacker would like it read and as it is: the envelope (an oversized
/// one from its blob, streamed, after Storage measured it), each attachment's real size (inline content decoded,
/// claim-check blobs measured before any download), then, once the delivery holds its claim, the content itself (only
/// the blobs that were measured, by ETag). Every blob goes through <see cref="RelayBlobStore"/>.
/// </summary>
internal sealed class RelayEnvelopeReader
{
    private readonly RelayBlobStore blobs;
    private readonly RelayPolicy policy;

    public RelayEnvelopeReader(RelayBlobStore blobs, RelayPolicy policy)
    {
        this.blobs = blobs;
        this.policy = policy;
    }

    // The envelope and what its message really weighs, before anything is downloaded: an oversized envelope's blob and
    // each claim-check blob are measured by Storage (their names checked by the store first), inline content decoded.
    public async Task<EnvelopeRead> ReadAsync(string text, CancellationToken cancellationToken)
    {
        var envelope = RelayEnvelopeFormat.Deserialize(text);
        string? envelopeBlob = null;
        if (envelope.EnvelopeBlob is { } blobName)
        {
            var whole = await MeasureAsync(blobName, "envelope blob", cancellationToken).ConfigureAwait(false);
            if (whole.Length > policy.MaxEnvelopeBlobBytes)
            {
                return new EnvelopeRead(envelope, blobName, Array.Empty<AttachmentSource>(), whole.Length)
                {
                    Refusal = $"the envelope blob is {whole.Length:n0} bytes, over the {policy.MaxEnvelopeBlobBytes:n0} the relay reads for a message limit of {policy.MaxMessageBytes:n0}; not downloaded",
                };
            }

            RelayEnvelope full;
            using (var content = await OpenAsync(whole, cancellationToken).ConfigureAwait(false))
            {
                full = await RelayEnvelopeFormat.DeserializeAsync(content, cancellationToken).ConfigureAwait(false);
            }

            if (full.Id != envelope.Id)
            {
                throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, $"The envelope blob {blobName} does not hold envelope {envelope.Id}.");
            }

            (envelope, envelopeBlob) = (full, blobName);
        }

        long bytes = Encoding.UTF8.GetByteCount(envelope.TextBody ?? string.Empty) + Encoding.UTF8.GetByteCount(envelope.HtmlBody ?? string.Empty);
        var sources = new List<AttachmentSource>();
        foreach (var attachment in envelope.Attachments)
        {
            if (attachment.Content is { } base64)
            {
                byte[] decoded;
                try
                {
                    decoded = Convert.FromBase64String(base64);
                }
                catch (FormatException ex)
                {
                    throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, $"The content of attachment '{attachment.FileName}' is not Base64.", ex);
                }

                sources.Add(new AttachmentSource(attachment, decoded, null));
                bytes += decoded.Length;
                continue;
            }

            var blob = await MeasureAsync(attachment.Blob!, "attachment blob", cancellationToken).ConfigureAwait(false);
            sources.Add(new AttachmentSource(attachment, null, blob));
            bytes += blob.Length;
        }

        return new EnvelopeRead(envelope, envelopeBlob, sources, bytes);
    }

    private async Task<RelayBlob> MeasureAsync(string name, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await blobs.MeasureAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, $"The {what} {name} does not exist.", ex);
        }
    }

    private async Task<Stream> OpenAsync(RelayBlob blob, CancellationToken cancellationToken)
    {
        try
        {
            return await blobs.OpenReadAsync(blob, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, $"The blob {blob.Name} was {(ex.Status == 404 ? "deleted" : "replaced")} while the relay read it.", ex);
        }
    }

    // The message for the composer: inline content from memory, claim-checked content downloaded (only the blob that
    // was measured) to a temporary file: streamed, and seekable for a retry.
    public async Task<MailMessageDefinition> ToMessageAsync(EnvelopeRead read, List<string> temporaryFiles, CancellationToken cancellationToken)
    {
        var parts = new List<MailAttachment>();
        foreach (var source in read.Attachments)
        {
            var attachment = source.Attachment;
            if (source.Inline is { } bytes)
            {
                parts.Add(MailAttachment.FromStream(attachment.FileName, () => new MemoryStream(bytes, writable: false), attachment.ContentType, attachment.ContentId));
                continue;
            }

            var path = Path.Combine(Path.GetTempPath(), $"smtpops-relay-{Guid.NewGuid():N}");
            temporaryFiles.Add(path);
            try
            {
                await blobs.DownloadToAsync(source.Blob!, path, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, $"The attachment blob {source.Blob!.Name} was {(ex.Status == 404 ? "deleted" : "replaced")} while the relay read it.", ex);
            }

            parts.Add(MailAttachment.FromStream(attachment.FileName, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan), attachment.ContentType, attachment.ContentId));
        }

        return read.Envelope.ToMessage(parts);
    }

    // Only blobs this envelope has (names checked when it was read): a small message costs no Storage request here.
    public Task DeleteBlobsAsync(EnvelopeRead read)
    {
        var names = RelayBlobStore.BlobNamesOf(read.Envelope).ToList();
        if (read.EnvelopeBlob is { } envelopeBlob)
        {
            names.Add(envelopeBlob);
        }

        return names.Count == 0 ? Task.CompletedTask : blobs.DeleteAsync(names);
    }

    // The envelope as the relay read it, the blob it was read from when the queue message was a claim check, its
    // attachments' content (inline bytes or measured blobs), the message's measured size, and a refusal made before
    // reading it whole.
    public sealed record EnvelopeRead(RelayEnvelope Envelope, string? EnvelopeBlob, IReadOnlyList<AttachmentSource> Attachments, long MessageBytes)
    {
        public string? Refusal { get; init; }
    }

    public sealed record AttachmentSource(RelayAttachment Attachment, byte[]? Inline, RelayBlob? Blob);
}
