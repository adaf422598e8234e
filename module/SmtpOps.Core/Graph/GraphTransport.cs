using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using MimeKit;
using MimeKit.IO;
using SmtpOps.Identity;
using SmtpOps.Messages;
using SmtpOps.Smtp;

namespace SmtpOps.Graph;

/// <summary>
/// Sends mail as one mailbox through Microsoft Graph over HTTP (no Graph SDK), for tenants where SMTP AUTH is off.
/// A message whose Base64 MIME fits one request goes as MIME to sendMail, so the recipient gets exactly what was composed
/// (https://learn.microsoft.com/en-us/graph/api/user-sendmail). A larger one becomes a draft from its MIME without the
/// large attachments, each large attachment is streamed from its file through an upload session in chunks of at most
/// 4 MB, never the whole file in memory, and the draft is sent
/// (https://learn.microsoft.com/en-us/graph/outlook-large-attachments); small attachments that do not fit the draft's MIME
/// are added one POST each (https://learn.microsoft.com/en-us/graph/api/message-post-attachments); a range that fails transiently (or outlasts
/// <see cref="GraphTransportOptions.Timeout"/>) is resumed where the upload session says it stands, an upload session that
/// is gone (404, expired) is started over once in a new one, a last range whose answer was lost is looked for among the
/// draft's attachments before anything is uploaded again, and a draft whose upload or send fails is deleted again (what
/// became of it is on the failure: <see cref="GraphTransportException.DraftDataKey"/>). 429/503/504 are retried after Graph's
/// Retry-After; 400/403/404 fail at once with Graph's error code and what to do. One HttpClient (kept-alive
/// connections) and one token for all messages. Thread-safe: concurrent sends share the client and the token.
/// </summary>
public sealed partial class GraphTransport : IDisposable
{
    private static readonly FormatOptions MimeFormat = CreateMimeFormat();

    private readonly GraphTransportOptions options;
    private readonly GraphConversation conversation;
    private readonly Uri users;
    private bool disposed;

    /// <summary>Creates a transport; nothing is sent until the first message.</summary>
    /// <param name="options">The mailbox, endpoint and identity.</param>
    public GraphTransport(GraphTransportOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        if (string.IsNullOrWhiteSpace(options.Mailbox))
        {
            throw new ArgumentException("No mailbox is given to send as.", nameof(options));
        }

        if (options.Endpoint is null || !options.Endpoint.IsAbsoluteUri || (options.Endpoint.Scheme != Uri.UriSchemeHttps && !options.Endpoint.IsLoopback))
        {
            throw new ArgumentException($"The Graph endpoint must be an https URL, not '{options.Endpoint}'.", nameof(options));
        }

        if (options.UploadChunkSize <= 0 || options.UploadChunkSize > 4 * 1024 * 1024)
        {
            throw new ArgumentException("UploadChunkSize must be between 1 byte and 4 MB.", nameof(options));
        }

        var credential = options.Credential
            ?? (options.AccessToken is { } token ? new AccessTokenCredential(token) : throw new ArgumentException("Give a Credential or an AccessToken for Microsoft Graph.", nameof(options)));
        conversation = new GraphConversation(options, new AccessTokenCache(credential, options.EffectiveScope, options.TokenRefreshMargin, "Microsoft Graph", "https://graph.microsoft.com", (message, guidance, cause) => new GraphTransportException(GraphFailureKind.Authentication, message, guidance: guidance, innerException: cause)));
        var root = options.Endpoint.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? options.Endpoint : new Uri(options.Endpoint.AbsoluteUri + "/");
        users = new Uri(root, "v1.0/users/" + Uri.EscapeDataString(options.Mailbox) + "/");
    }

    /// <summary>Gets how many tokens were asked of the credential so far (a renewal near expiry adds one).</summary>
    public int TokenAcquisitions => conversation.TokenAcquisitions;

    /// <summary>
    /// Validates and sends one message. Bad input fails with <see cref="MessageValidationException"/> before anything is
    /// sent; delivery failures throw <see cref="GraphTransportException"/>.
    /// </summary>
    /// <param name="definition">The message.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>Graph's answer.</returns>
    public async Task<GraphSendResult> SendAsync(MailMessageDefinition definition, CancellationToken cancellationToken = default)
    {
        using var message = MessageComposer.Compose(definition);
        return await SendCoreAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a message prepared by <see cref="MessageComposer.Prepare"/>. A large message's attachment parts are taken out
    /// of it to be uploaded separately: send a composed message once.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>Graph's answer.</returns>
    public Task<GraphSendResult> SendAsync(ComposedMessage message, CancellationToken cancellationToken = default)
        => SendCoreAsync((message ?? throw new ArgumentNullException(nameof(message))).Message, cancellationToken);

    /// <summary>Sends an already composed message (the relay's path); as with a <see cref="ComposedMessage"/>, a large message loses its large attachment parts to the upload.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>Graph's answer.</returns>
    public Task<GraphSendResult> SendAsync(MimeMessage message, CancellationToken cancellationToken = default)
        => SendCoreAsync(message ?? throw new ArgumentNullException(nameof(message)), cancellationToken);

    /// <summary>Closes the connection.</summary>
    public void Dispose()
    {
        disposed = true;
        conversation.Dispose();
    }

    private static FormatOptions CreateMimeFormat()
    {
        // RFC 5322 line ends whatever the platform; Bcc stays in the MIME, since Graph takes the recipients from it.
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }

    private static long Base64Length(long bytes) => (bytes + 2) / 3 * 4;

    private async Task<GraphSendResult> SendCoreAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        if (disposed)
        {
            throw new ObjectDisposedException(nameof(GraphTransport));
        }

        var run = new GraphSendRun(Stopwatch.StartNew());
        try
        {
            using var measuring = new MeasuringStream();
            message.WriteTo(MimeFormat, measuring, cancellationToken);
            if (Base64Length(measuring.Length) <= options.SendMailLimit)
            {
                var requestId = await SendMailAsync(message, run, cancellationToken).ConfigureAwait(false);
                return Result(message, GraphSendRoute.SendMail, requestId, run);
            }

            var sent = await SendAsDraftAsync(message, run, cancellationToken).ConfigureAwait(false);
            return Result(message, GraphSendRoute.DraftWithUploadSessions, sent, run);
        }
        catch (GraphTransportException failure)
        {
            failure.Attempts = run.Attempts;
            failure.Elapsed = run.Clock.Elapsed;
            throw;
        }
    }

    private GraphSendResult Result(MimeMessage message, GraphSendRoute route, string? requestId, GraphSendRun run)
    {
        var recipients = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes)
            .Select(m => new SmtpRecipientResult(m.Address, true, 202, "Accepted by Microsoft Graph for delivery"))
            .ToList();
        return new GraphSendResult(message.MessageId ?? string.Empty, message.Subject ?? string.Empty, options.Mailbox, options.Endpoint, route, recipients, requestId, run.Clock.Elapsed, run.Attempts);
    }

    // https://learn.microsoft.com/en-us/graph/api/user-sendmail (MIME): Content-Type text/plain, the MIME in Base64.
    private async Task<string?> SendMailAsync(MimeMessage message, GraphSendRun run, CancellationToken cancellationToken)
    {
        var body = await Base64MimeAsync(message, cancellationToken).ConfigureAwait(false);
        using var response = await conversation.SendAsync("sendMail", () => MimeRequest(new Uri(users, "sendMail"), body), authenticate: true, run, cancellationToken).ConfigureAwait(false);
        return GraphConversation.RequestIdOf(response);
    }

    private async Task<string?> SendAsDraftAsync(MimeMessage message, GraphSendRun run, CancellationToken cancellationToken)
    {
        await DecodeHeldAttachmentsAsync(message, cancellationToken).ConfigureAwait(false);
        var large = TakeOutLargeAttachments(message);
        var posted = new List<MimePart>();
        try
        {
            TakeOutUntilTheDraftFits(message, posted, large, cancellationToken);
            return await SendAsDraftAsync(message, large, posted, run, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Taken out of the message, these parts are no longer closed with it.
            large.ForEach(part => part.Content?.Stream?.Dispose());
            posted.ForEach(part => part.Content?.Stream?.Dispose());
        }
    }

    private async Task<string?> SendAsDraftAsync(MimeMessage message, List<MimePart> large, List<MimePart> posted, GraphSendRun run, CancellationToken cancellationToken)
    {
        // https://learn.microsoft.com/en-us/graph/api/user-post-messages: a draft from MIME, 201 Created with its id.
        var body = await Base64MimeAsync(message, cancellationToken).ConfigureAwait(false);
        string draftId;
        using (var created = await conversation.SendAsync("create draft", () => MimeRequest(new Uri(users, "messages"), body), authenticate: true, run, cancellationToken).ConfigureAwait(false))
        {
            draftId = await ReadStringPropertyAsync(created, "id").ConfigureAwait(false)
                ?? throw new GraphTransportException(GraphFailureKind.Transient, "Graph created the draft but gave no id.", (int)created.StatusCode);
        }

        var draft = new Uri(users, "messages/" + Uri.EscapeDataString(draftId) + "/");
        var sending = false;
        try
        {
            var attached = new HashSet<string>(StringComparer.Ordinal);
            foreach (var part in posted)
            {
                await PostAttachmentAsync(draft, part, attached, run, cancellationToken).ConfigureAwait(false);
            }

            foreach (var part in large)
            {
                await UploadAsync(draft, part, attached, run, cancellationToken).ConfigureAwait(false);
            }

            // https://learn.microsoft.com/en-us/graph/api/message-send: 202 Accepted.
            sending = true;
            using var sent = await conversation.SendAsync("send draft", () => new HttpRequestMessage(HttpMethod.Post, new Uri(draft, "send")) { Content = new ByteArrayContent(Array.Empty<byte>()) }, authenticate: true, run, cancellationToken).ConfigureAwait(false);
            return GraphConversation.RequestIdOf(sent);
        }
        catch (Exception failure)
        {
            await DeleteDraftAsync(draftId, failure, sending).ConfigureAwait(false);
            throw;
        }
    }

    // A draft whose send failed would stay in the mailbox's Drafts folder: nothing comes back to it (a retried message is a new
    // draft). Deleted, best effort, when it surely was not sent: its upload or its send failed with Graph's answer, or the send
    // was never asked for. A send that got no answer (timeout, lost connection, cancelled) may have gone out: kept. What
    // happened is added to the failure (GraphTransportException.DraftDataKey, and the message of a GraphTransportException);
    // a failure to delete never replaces the failure of the send.
    private async Task DeleteDraftAsync(string draftId, Exception failure, bool sending)
    {
        string outcome;
        if (sending && failure is (OperationCanceledException or GraphTransportException { StatusCode: null }))
        {
            outcome = $"The draft '{draftId}' stays in the Drafts folder of '{options.Mailbox}': the send got no answer from Graph (timed out, connection lost or cancelled), so it may have gone out.";
        }
        else
        {
            string? refused;
            try
            {
                // https://learn.microsoft.com/en-us/graph/api/message-delete: 204 No Content. One try; not cancelled with the send,
                // bounded by Timeout.
                var (response, failed) = await conversation.SendOnceAsync("delete draft", () => new HttpRequestMessage(HttpMethod.Delete, new Uri(users, "messages/" + Uri.EscapeDataString(draftId))), authenticate: true, CancellationToken.None).ConfigureAwait(false);
                response?.Dispose();
                refused = failed?.Message;
            }
            catch (Exception ex) when (ex is GraphTransportException or HttpRequestException or OperationCanceledException or InvalidOperationException)
            {
                refused = ex.Message;
            }

            outcome = refused is null
                ? $"The draft '{draftId}' was deleted from the mailbox '{options.Mailbox}'."
                : $"The draft '{draftId}' stays in the Drafts folder of '{options.Mailbox}': deleting it failed: {refused}";
        }

        failure.Data[GraphTransportException.DraftDataKey] = outcome;
        if (failure is GraphTransportException graphFailure)
        {
            graphFailure.DraftOutcome = outcome;
        }
    }

    // Takes the attachment parts of at least UploadSessionMinimum out of the message: they go through upload sessions.
    private List<MimePart> TakeOutLargeAttachments(MimeMessage message)
    {
        var taken = new List<MimePart>();
        void Walk(Multipart multipart)
        {
            foreach (var entity in multipart.ToList())
            {
                if (entity is Multipart nested)
                {
                    Walk(nested);
                }
                else if (entity is MimePart part && part.Content is not null && (part.IsAttachment || part.ContentId is not null) && SizeOf(part) >= options.UploadSessionMinimum)
                {
                    multipart.Remove(part);
                    taken.Add(part);
                }
            }
        }

        if (message.Body is Multipart root)
        {
            Walk(root);
        }

        return taken;
    }

    // A message loaded from MIME (MimeMessage.Load of an .eml, handed to SendAsync(MimeMessage)) holds its attachments as
    // they were on the wire, Base64 mostly. Upload sessions and attachment POSTs take the file itself, so each attachment (or inline part) held encoded is
    // decoded once into a temporary file deleted when it is closed (with the message, or when taken out of it) and held
    // from there as the composer holds a file; what stays in the draft's MIME is encoded again as its header says.
    private static async Task DecodeHeldAttachmentsAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        foreach (var part in message.BodyParts.OfType<MimePart>().Where(p => p.Content is { Encoding: not ContentEncoding.Default } && (p.IsAttachment || p.ContentId is not null)).ToList())
        {
            var held = part.Content!;
            var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            try
            {
                await held.DecodeToAsync(file, cancellationToken).ConfigureAwait(false);
                file.Position = 0;
            }
            catch
            {
                file.Dispose();
                throw;
            }

            part.Content = new MimeContent(file, ContentEncoding.Default);
            held.Stream?.Dispose();
        }
    }

    // The size of an attachment as the composer holds it (its file, unencoded); content held encoded stays in the MIME.
    private static long SizeOf(MimePart part)
    {
        var stream = part.Content?.Stream;
        return part.Content?.Encoding == ContentEncoding.Default && stream is { CanSeek: true } ? stream.Length : -1;
    }

    private static async Task<string> Base64MimeAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await message.WriteToAsync(MimeFormat, buffer, cancellationToken).ConfigureAwait(false);
        return Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static HttpRequestMessage MimeRequest(Uri url, string base64) =>
        new(HttpMethod.Post, url) { Content = new StringContent(base64, Encoding.ASCII, "text/plain") };

    private static async Task<string?> ReadStringPropertyAsync(HttpResponseMessage response, string name)
    {
        try
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
            return json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
