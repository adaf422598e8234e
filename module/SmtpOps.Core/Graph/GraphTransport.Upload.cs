using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using MimeKit;

namespace SmtpOps.Graph;

/// <summary>The upload of a large attachment to a draft: an upload session, its byte ranges, and resuming after a failed range.</summary>
public sealed partial class GraphTransport
{
    // https://learn.microsoft.com/en-us/graph/api/attachment-createuploadsession, then PUTs of at most 4 MB in order with
    // Content-Range, no Authorization header (the upload URL is pre-authenticated): 200 with nextExpectedRanges, 201 at the end.
    private async Task UploadAsync(Uri draft, MimePart part, Run run, CancellationToken cancellationToken)
    {
        var source = part.Content?.Stream ?? throw new InvalidOperationException($"The attachment '{part.FileName}' has no content to upload.");
        var size = source.Length;
        var uploadUrl = await CreateUploadSessionAsync(draft, part, size, run, cancellationToken).ConfigureAwait(false);

        // One buffer of UploadChunkSize for every range of the attachment: the file is never in memory as a whole.
        var buffer = new byte[options.UploadChunkSize];
        long offset = 0;
        var retries = 0;
        while (offset < size)
        {
            var start = offset;
            var length = await ReadRangeAsync(source, buffer, start, size, part.FileName, cancellationToken).ConfigureAwait(false);
            var (response, failure) = await SendOnceAsync(
                "upload attachment",
                () =>
                {
                    var content = new ByteArrayContent(buffer, 0, length);
                    content.Headers.ContentRange = new ContentRangeHeaderValue(start, start + length - 1, size);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    return new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = content };
                },
                authenticate: false,
                cancellationToken).ConfigureAwait(false);
            if (response is not null)
            {
                using (response)
                {
                    // The server may hold a different amount than sent: continue where it says.
                    offset = response.StatusCode == HttpStatusCode.OK && await NextExpectedAsync(response).ConfigureAwait(false) is { } next ? next : start + length;
                }

                retries = 0;
                continue;
            }

            (offset, retries) = await ResumeAsync(uploadUrl, failure!, size, retries, run, cancellationToken).ConfigureAwait(false);
        }
    }

    // A range that failed (5xx, 429, timeout, lost connection) may be stored in full, in part or not at all. As Graph's docs say
    // for an upload "disconnected or fails before the request is completed", the session's status is read with a GET of the
    // uploadUrl, and the upload goes on from its nextExpectedRanges
    // (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession#resuming-an-in-progress-upload; for an
    // Outlook attachment that is the single "{start}" of the next range: https://learn.microsoft.com/en-us/graph/api/resources/uploadsession).
    // Every failed request since the last stored range is one retry of Retry.MaxRetries, waited for as any retry; a refusal
    // for good (the session expired: 404) fails at once.
    private async Task<(long Offset, int Retries)> ResumeAsync(Uri uploadUrl, GraphTransportException failure, long size, int retries, Run run, CancellationToken cancellationToken)
    {
        while (true)
        {
            retries++;
            await WaitToRetryAsync(failure, retries, run, cancellationToken).ConfigureAwait(false);
            var (response, statusFailure) = await SendOnceAsync("read upload status", () => new HttpRequestMessage(HttpMethod.Get, uploadUrl), authenticate: false, cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                failure = statusFailure!;
                continue;
            }

            using (response)
            {
                var next = await NextExpectedAsync(response).ConfigureAwait(false);
                return next is { } offset && offset <= size
                    ? (offset, retries)
                    : throw new GraphTransportException(GraphFailureKind.Permanent, $"Graph's upload session gave no next range inside the attachment's {size} bytes (nextExpectedRanges: {next?.ToString(CultureInfo.InvariantCulture) ?? "none"}).", (int)response.StatusCode);
            }
        }
    }

    private async Task<Uri> CreateUploadSessionAsync(Uri draft, MimePart part, long size, Run run, CancellationToken cancellationToken)
    {
        var item = new Dictionary<string, object?>
        {
            ["attachmentType"] = "file",
            ["name"] = part.FileName ?? part.ContentId ?? "attachment",
            ["size"] = size,
            ["contentType"] = part.ContentType.MimeType,
        };
        if (part.ContentId is not null)
        {
            item["isInline"] = !part.IsAttachment;
            item["contentId"] = part.ContentId;
        }

        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["AttachmentItem"] = item });
        using var session = await SendAsync(
            "create upload session",
            () => new HttpRequestMessage(HttpMethod.Post, new Uri(draft, "attachments/createUploadSession")) { Content = new StringContent(json, Encoding.UTF8, "application/json") },
            authenticate: true,
            run,
            cancellationToken).ConfigureAwait(false);
        var url = await ReadStringPropertyAsync(session, "uploadUrl").ConfigureAwait(false);
        return url is not null && Uri.TryCreate(url, UriKind.Absolute, out var parsed)
            ? parsed
            : throw new GraphTransportException(GraphFailureKind.Transient, "Graph created the upload session but gave no uploadUrl.", (int)session.StatusCode);
    }

    private static async Task<int> ReadRangeAsync(Stream source, byte[] buffer, long offset, long size, string? name, CancellationToken cancellationToken)
    {
        source.Seek(offset, SeekOrigin.Begin);
        var length = (int)Math.Min(buffer.Length, size - offset);
        var filled = 0;
        while (filled < length)
        {
            var read = await source.ReadAsync(buffer, filled, length - filled, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException($"The attachment '{name}' ended at {offset + filled} of {size} bytes while it was uploaded.");
            }

            filled += read;
        }

        return length;
    }

    private static async Task<long?> NextExpectedAsync(HttpResponseMessage response)
    {
        try
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
            if (json.RootElement.TryGetProperty("nextExpectedRanges", out var ranges) && ranges.ValueKind == JsonValueKind.Array && ranges.GetArrayLength() > 0)
            {
                var first = ranges[0].GetString() ?? string.Empty;
                var dash = first.IndexOf('-');
                return long.TryParse(dash < 0 ? first : first.Substring(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
            }
        }
        catch (JsonException)
        {
            // no body to follow
        }

        return null;
    }
}
