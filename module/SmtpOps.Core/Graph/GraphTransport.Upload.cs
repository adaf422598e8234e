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
    // A session that is gone (404) is started over once in a new session, from byte 0, as Graph advises: "Handle 404 Not
    // Found errors when doing resumable uploads by starting the entire upload over. This indicates the upload session no
    // longer exists." (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession#best-practices). If the
    // last range went out without an answer, the session may be gone because the upload completed: the draft's attachments
    // say so, and then the attachment is not uploaded again. `attached` holds the ids of the attachments already confirmed
    // on this draft, so that one of the same name and size is not taken for this one.
    private async Task UploadAsync(Uri draft, MimePart part, HashSet<string> attached, GraphSendRun run, CancellationToken cancellationToken)
    {
        var source = part.Content?.Stream ?? throw new InvalidOperationException($"The attachment '{part.FileName}' has no content to upload.");
        var size = source.Length;

        // One buffer of UploadChunkSize for every range of the attachment: the file is never in memory as a whole.
        var buffer = new byte[options.UploadChunkSize];
        GraphTransportException? gone = null;
        for (var session = 0; session < 2; session++)
        {
            if (session > 0)
            {
                run.Attempts++;
            }

            var uploadUrl = await CreateUploadSessionAsync(draft, part, size, run, cancellationToken).ConfigureAwait(false);
            var (attachmentId, failure, lastRangeUnanswered) = await UploadRangesAsync(uploadUrl, source, buffer, size, part.FileName, run, cancellationToken).ConfigureAwait(false);
            if (failure is null)
            {
                if (attachmentId is not null)
                {
                    attached.Add(attachmentId);
                }

                return;
            }

            if (lastRangeUnanswered && await FindAttachmentAsync(draft, AttachmentName(part), size, attached, run, cancellationToken).ConfigureAwait(false) is { } found)
            {
                attached.Add(found);
                return;
            }

            if (failure.StatusCode != 404)
            {
                throw failure;
            }

            gone = failure;
        }

        throw gone!;
    }

    // The ranges of one upload session, from byte 0: done (with the attachment id of the 201's Location, when there is one),
    // or the session's failure for good and whether the last range went out without an answer (it may have been stored).
    private async Task<(string? AttachmentId, GraphTransportException? Failure, bool LastRangeUnanswered)> UploadRangesAsync(
        Uri uploadUrl, Stream source, byte[] buffer, long size, string? name, GraphSendRun run, CancellationToken cancellationToken)
    {
        long offset = 0;
        var retries = 0;
        var lastRangeUnanswered = false;
        while (offset < size)
        {
            var start = offset;
            var length = await ReadRangeAsync(source, buffer, start, size, name, cancellationToken).ConfigureAwait(false);
            var (response, failure) = await conversation.SendOnceAsync(
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
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        return (AttachmentIdOf(response.Headers.Location), null, false);
                    }

                    // The server may hold a different amount than sent: continue where it says.
                    offset = response.StatusCode == HttpStatusCode.OK && await NextExpectedAsync(response).ConfigureAwait(false) is { } next ? next : start + length;
                }

                retries = 0;
                continue;
            }

            if (failure!.StatusCode == 404)
            {
                return (null, failure, lastRangeUnanswered);
            }

            // No answer (timeout, lost connection) to the last range: it may have been stored and the attachment made.
            lastRangeUnanswered |= failure.StatusCode is null && start + length == size;
            long? resumed;
            (resumed, retries, failure) = await ResumeAsync(uploadUrl, failure, size, retries, run, cancellationToken).ConfigureAwait(false);
            if (resumed is not { } at)
            {
                return (null, failure, lastRangeUnanswered);
            }

            offset = at;
        }

        return (null, null, false);
    }

    // A range that failed (5xx, 429, timeout, lost connection) may be stored in full, in part or not at all. As Graph's docs say
    // for an upload "disconnected or fails before the request is completed", the session's status is read with a GET of the
    // uploadUrl, and the upload goes on from its nextExpectedRanges
    // (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession#resuming-an-in-progress-upload; for an
    // Outlook attachment that is the single "{start}" of the next range: https://learn.microsoft.com/en-us/graph/api/resources/uploadsession).
    // Every failed request since the last stored range is one retry of Retry.MaxRetries, waited for as any retry. A session
    // that is gone (404) comes back as the failure, with no offset, for the caller to decide; any other refusal for good throws.
    private async Task<(long? Offset, int Retries, GraphTransportException? Gone)> ResumeAsync(Uri uploadUrl, GraphTransportException failure, long size, int retries, GraphSendRun run, CancellationToken cancellationToken)
    {
        while (true)
        {
            retries++;
            await conversation.WaitToRetryAsync(failure, retries, run, cancellationToken).ConfigureAwait(false);
            var (response, statusFailure) = await conversation.SendOnceAsync("read upload status", () => new HttpRequestMessage(HttpMethod.Get, uploadUrl), authenticate: false, cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                if (statusFailure!.StatusCode == 404)
                {
                    return (null, retries, statusFailure);
                }

                failure = statusFailure;
                continue;
            }

            using (response)
            {
                var next = await NextExpectedAsync(response).ConfigureAwait(false);
                return next is { } offset && offset <= size
                    ? (offset, retries, null)
                    : throw new GraphTransportException(GraphFailureKind.Permanent, $"Graph's upload session gave no next range inside the attachment's {size} bytes (nextExpectedRanges: {next?.ToString(CultureInfo.InvariantCulture) ?? "none"}).", (int)response.StatusCode);
            }
        }
    }

    // Whether the draft has the attachment although the answer to its last range was lost: an attachment of its name not yet
    // confirmed, at least as large as the file (https://learn.microsoft.com/en-us/graph/api/message-list-attachments, with
    // $select as https://learn.microsoft.com/en-us/graph/outlook-large-attachments step 4 does, so no contentBytes come back).
    // Its size is not the file's to the byte: Graph's own example there lists a 3,483,322-byte upload with size 3,640,066.
    // An upload session's bytes become an attachment only when the last one is in, so one that is listed is whole. A
    // listing that fails throws: uploading again without knowing could attach the file twice.
    private async Task<string?> FindAttachmentAsync(Uri draft, string name, long size, HashSet<string> attached, GraphSendRun run, CancellationToken cancellationToken)
    {
        Uri? page = new(draft, "attachments?$select=id,name,size");
        for (var pages = 0; page is not null && pages < 20; pages++)
        {
            var next = page;
            using var listed = await conversation.SendAsync("list draft attachments", () => new HttpRequestMessage(HttpMethod.Get, next), authenticate: true, run, cancellationToken).ConfigureAwait(false);
            page = null;
            try
            {
                using var json = JsonDocument.Parse(await listed.Content.ReadAsStringAsync().ConfigureAwait(false));
                if (json.RootElement.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var attachment in value.EnumerateArray())
                    {
                        var id = attachment.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
                        var named = attachment.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                        var length = attachment.TryGetProperty("size", out var l) && l.TryGetInt64(out var bytes) ? bytes : -1;
                        if (id is not null && string.Equals(named, name, StringComparison.Ordinal) && length >= size && !attached.Contains(id))
                        {
                            return id;
                        }
                    }
                }

                if (json.RootElement.TryGetProperty("@odata.nextLink", out var link) && link.ValueKind == JsonValueKind.String && Uri.TryCreate(link.GetString(), UriKind.Absolute, out var more))
                {
                    page = more;
                }
            }
            catch (JsonException e)
            {
                // Not a listing: whether the attachment is there stays unknown, and uploading again could attach it twice.
                throw new GraphTransportException(GraphFailureKind.Permanent, "Graph's list of the draft's attachments could not be read, so whether the last upload completed is unknown.", (int)listed.StatusCode, innerException: e);
            }
        }

        return null;
    }

    // The id in a Location of .../Attachments('{id}') (outlook-large-attachments, the final PUT's 201).
    private static string? AttachmentIdOf(Uri? location)
    {
        var text = location is null ? null : Uri.UnescapeDataString(location.OriginalString);
        var open = text?.LastIndexOf("('", StringComparison.Ordinal) ?? -1;
        var close = open < 0 ? -1 : text!.IndexOf("')", open, StringComparison.Ordinal);
        return close > open + 2 ? text!.Substring(open + 2, close - open - 2) : null;
    }

    private static string AttachmentName(MimePart part) => part.FileName ?? part.ContentId ?? "attachment";

    private async Task<Uri> CreateUploadSessionAsync(Uri draft, MimePart part, long size, GraphSendRun run, CancellationToken cancellationToken)
    {
        var item = new Dictionary<string, object?>
        {
            ["attachmentType"] = "file",
            ["name"] = AttachmentName(part),
            ["size"] = size,
            ["contentType"] = part.ContentType.MimeType,
        };
        if (part.ContentId is not null)
        {
            item["isInline"] = !part.IsAttachment;
            item["contentId"] = part.ContentId;
        }

        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["AttachmentItem"] = item });
        using var session = await conversation.SendAsync(
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
