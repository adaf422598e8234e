using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using MimeKit;
using MimeKit.IO;

namespace SmtpOps.Graph;

/// <summary>The small attachments of a large message that do not fit the draft's MIME: each added to the draft with a POST of its own.</summary>
public sealed partial class GraphTransport
{
    // How a large message is split so that every request stays under Graph's 4 MB.
    // - The draft is created from MIME (https://learn.microsoft.com/en-us/graph/api/user-post-messages), one request, so its
    //   Base64 MIME must stay under SendMailLimit: the body, its inline parts and whatever attachments fit stay in it.
    // - Graph: "If the file size is under 3 MB, do a single POST on the attachments navigation property [...] If the file size
    //   is between 3 MB and 150 MB, create an upload session [...] To attach multiple files to a message, choose the approach
    //   for each file based on its file size and attach the files individually."
    //   (https://learn.microsoft.com/en-us/graph/outlook-large-attachments, https://learn.microsoft.com/en-us/graph/api/attachment-createuploadsession)
    // - The POST (https://learn.microsoft.com/en-us/graph/api/message-post-attachments) carries a fileAttachment with
    //   "@odata.type": "#microsoft.graph.fileAttachment" and the required name and contentBytes, the file in Base64
    //   (https://learn.microsoft.com/en-us/graph/api/resources/fileattachment), and is itself one request of at most 4 MB.
    // - The arithmetic: Base64 makes 4 bytes of every 3, so a file of 3 MB (3,145,728 bytes) is 4,194,304 bytes of
    //   contentBytes alone: exactly 4 MiB before the JSON around it, over the limit in either reading of "4 MB". A file
    //   "under 3 MB" fits one POST only while its Base64 plus the JSON stays under SendMailLimit (4,000,000 by default: files
    //   up to about 2,999,800 bytes). The band between that and UploadSessionMinimum (about 2.86 to 3 MiB) cannot be POSTed,
    //   so it goes through an upload session as a large file does: the docs give that size range to the POST as guidance
    //   and document no refusal of a session for a smaller file, while the 4 MB request limit is a hard refusal (413).
    // - Attachments are taken out of the MIME largest first (fewest requests), inline parts (the body's images) only after
    //   every plain attachment, so the body keeps its images when it can. Each keeps its name, content type, content id and
    //   inline flag. Only parts the composer holds as their file (seekable, unencoded) are taken out; content held encoded
    //   stays in the MIME, as with the upload sessions.
    // - One attachment's Base64 is in memory at a time (the request body, kept for its retries), built from the file in chunks.
    private void TakeOutUntilTheDraftFits(MimeMessage message, List<MimePart> posted, List<MimePart> large, CancellationToken cancellationToken)
    {
        var length = MimeLength(message, cancellationToken);
        if (Base64Length(length) <= options.SendMailLimit)
        {
            return;
        }

        var candidates = new List<(Multipart Parent, MimePart Part, long Size)>();
        void Walk(Multipart multipart)
        {
            foreach (var entity in multipart)
            {
                if (entity is Multipart nested)
                {
                    Walk(nested);
                }
                else if (entity is MimePart part && part.Content is not null && (part.IsAttachment || part.ContentId is not null) && SizeOf(part) is var size and >= 0)
                {
                    candidates.Add((multipart, part, size));
                }
            }
        }

        if (message.Body is Multipart root)
        {
            Walk(root);
        }

        foreach (var (parent, part, size) in candidates.OrderBy(c => c.Part.IsAttachment ? 0 : 1).ThenByDescending(c => c.Size))
        {
            if (Base64Length(length) <= options.SendMailLimit)
            {
                break;
            }

            using var measuring = new MeasuringStream();
            part.WriteTo(MimeFormat, measuring, cancellationToken);
            parent.Remove(part);
            (FileAttachmentRequestLength(part, size) <= options.SendMailLimit ? posted : large).Add(part);
            length -= measuring.Length;
            if (Base64Length(length) <= options.SendMailLimit)
            {
                // The estimate leaves out boundary lines, so it can only be larger than the truth: confirm it.
                length = MimeLength(message, cancellationToken);
            }
        }

        if (Base64Length(length) > options.SendMailLimit)
        {
            throw new GraphTransportException(
                GraphFailureKind.Permanent,
                $"The message is too large for one Graph request even without its attachments ({length} bytes of MIME remain: the body and any parts held encoded).",
                guidance: "Make the body smaller, or send its content as an attachment.");
        }
    }

    // https://learn.microsoft.com/en-us/graph/api/message-post-attachments: 201 Created with the attachment (its id). Sent through
    // SendAsync as every API request: 429/5xx/lost connection retried after Retry-After, 401 once with a new token, 400/403 at once.
    // A POST that got no answer may have attached the file: before it goes again, the draft's attachments are listed as after a
    // lost last upload range, and one of its name and size not yet confirmed is taken for it, so nothing is attached twice.
    private async Task PostAttachmentAsync(Uri draft, MimePart part, HashSet<string> attached, GraphSendRun run, CancellationToken cancellationToken)
    {
        var (body, length) = await FileAttachmentRequestAsync(part, cancellationToken).ConfigureAwait(false);
        var size = part.Content?.Stream?.Length ?? 0;
        string? found = null;
        using var created = await conversation.SendAsync(
            "add attachment",
            () =>
            {
                var content = new ByteArrayContent(body, 0, length);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                return new HttpRequestMessage(HttpMethod.Post, new Uri(draft, "attachments")) { Content = content };
            },
            authenticate: true,
            run,
            async cancel => (found = await FindAttachmentAsync(draft, AttachmentName(part), size, attached, run, cancel).ConfigureAwait(false)) is not null,
            cancellationToken).ConfigureAwait(false);
        if ((created is null ? found : await ReadStringPropertyAsync(created, "id").ConfigureAwait(false)) is { } id)
        {
            attached.Add(id);
        }
    }

    // The JSON before contentBytes' value: {"@odata.type":...,"name":...,"contentType":...,[isInline, contentId,]"contentBytes":"
    private static byte[] FileAttachmentHead(MimePart part)
    {
        var item = new Dictionary<string, object?>
        {
            ["@odata.type"] = "#microsoft.graph.fileAttachment",
            ["name"] = AttachmentName(part),
            ["contentType"] = part.ContentType.MimeType,
        };
        if (part.ContentId is not null)
        {
            item["isInline"] = !part.IsAttachment;
            item["contentId"] = part.ContentId;
        }

        var json = JsonSerializer.Serialize(item);
        return Encoding.UTF8.GetBytes(json.Substring(0, json.Length - 1) + ",\"contentBytes\":\"");
    }

    private static long FileAttachmentRequestLength(MimePart part, long size) => FileAttachmentHead(part).Length + Base64Length(size) + 2;

    // The POST body, its Base64 written from the file in chunks of a multiple of 3 bytes (so no padding inside).
    private static async Task<(byte[] Body, int Length)> FileAttachmentRequestAsync(MimePart part, CancellationToken cancellationToken)
    {
        var source = part.Content?.Stream ?? throw new InvalidOperationException($"The attachment '{part.FileName}' has no content to attach.");
        var head = FileAttachmentHead(part);
        var size = source.Length;
        using var body = new MemoryStream((int)(head.Length + Base64Length(size) + 2));
        body.Write(head, 0, head.Length);
        source.Seek(0, SeekOrigin.Begin);
        var chunk = new byte[3 * 64 * 1024];
        while (true)
        {
            var filled = 0;
            int read;
            while (filled < chunk.Length && (read = await source.ReadAsync(chunk, filled, chunk.Length - filled, cancellationToken).ConfigureAwait(false)) > 0)
            {
                filled += read;
            }

            if (filled == 0)
            {
                break;
            }

            var text = Encoding.ASCII.GetBytes(Convert.ToBase64String(chunk, 0, filled));
            body.Write(text, 0, text.Length);
            if (filled < chunk.Length)
            {
                break;
            }
        }

        body.WriteByte((byte)'"');
        body.WriteByte((byte)'}');
        return (body.GetBuffer(), (int)body.Length);
    }

    private static long MimeLength(MimeMessage message, CancellationToken cancellationToken)
    {
        using var measuring = new MeasuringStream();
        message.WriteTo(MimeFormat, measuring, cancellationToken);
        return measuring.Length;
    }
}
