// Past the house's 450 lines on purpose: it is Microsoft Graph's contract as the docs state it (sendMail, drafts,
// upload sessions, throttling, token checks), each rule beside the page it came from; split by operation, the rules
// that span operations (draft state, order, limits) would be scattered.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers.Graph;

/// <summary>
/// The part of Microsoft Graph that sends mail, on 127.0.0.1 over HTTP, strict about the documented contract: what a real
/// Graph refuses, this refuses with the status Graph documents and also records as a <see cref="Violations"/> entry that a
/// test asserts on. Every rule cites the page it comes from; where a page documents the refusal but not the error code,
/// the code used here is marked as ours.
/// <list type="bullet">
/// <item>POST /v1.0/users/{id}/sendMail with Content-Type text/plain and a Base64 MIME body: 202 Accepted
/// (https://learn.microsoft.com/en-us/graph/api/user-sendmail, example "send a new message using MIME format";
/// https://learn.microsoft.com/en-us/graph/outlook-send-mime-message).</item>
/// <item>POST /v1.0/users/{id}/messages with the same MIME body: a draft, 201 Created with its id
/// (https://learn.microsoft.com/en-us/graph/api/user-post-messages, "create a message using MIME format").</item>
/// <item>POST /v1.0/users/{id}/messages/{message}/attachments/createUploadSession with an AttachmentItem: 201 Created with
/// uploadUrl, expirationDateTime and nextExpectedRanges ["0-"] (https://learn.microsoft.com/en-us/graph/api/attachment-createuploadsession,
/// https://learn.microsoft.com/en-us/graph/api/resources/uploadsession: for Outlook attachments nextExpectedRanges is a single "{start}").</item>
/// <item>PUT {uploadUrl}: sequential byte ranges of at most 4 MB, Content-Range bytes start-end/total and Content-Length,
/// no Authorization header (the URL is pre-authenticated); 200 OK with nextExpectedRanges while bytes are missing,
/// 201 Created with a Location header for the last range (https://learn.microsoft.com/en-us/graph/outlook-large-attachments).
/// The 320 KiB-multiple rule of OneDrive upload sessions (driveitem-createuploadsession) is not part of the Outlook
/// attachment contract and is not checked.</item>
/// <item>GET {uploadUrl}, no Authorization header: 200 OK with expirationDateTime and nextExpectedRanges, where the next range
/// must start: how a client resumes after a range failed (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession,
/// "Resuming an in-progress upload"; the Outlook page says nextExpectedRanges is what a resumed transfer starts from).</item>
/// <item>An upload session that is gone (past its expirationDateTime, scripted with <see cref="GraphFault.ExpireSession"/>,
/// or completed by its last range) answers a PUT or GET of its uploadUrl 404 ErrorItemNotFound. Graph's advice for that
/// 404 is to start the entire upload over in a new session: "Handle 404 Not Found errors when doing resumable uploads by
/// starting the entire upload over. This indicates the upload session no longer exists."
/// (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession#best-practices; the Outlook page documents
/// no status for a gone session, https://learn.microsoft.com/en-us/graph/outlook-large-attachments, so the code is the
/// one this endpoint gives any unknown item). The bytes of an expired session never become an attachment: a new session
/// for the same file is a new upload from byte 0. Not a violation: a client may well ask.</item>
/// <item>GET /v1.0/users/{id}/messages/{message}/attachments (optionally $select): 200 OK with value, the attachments whose
/// upload completed, each with id, name, size, contentType, isInline (https://learn.microsoft.com/en-us/graph/api/message-list-attachments;
/// step 4 of https://learn.microsoft.com/en-us/graph/outlook-large-attachments gets an uploaded attachment's metadata with
/// $select instead of its contentBytes). This is how a client that lost the answer to its last range (201 with Location)
/// finds out whether the attachment was made. size here is the size the session was created with; Graph's own example
/// there reports an attachment of a 3,483,322-byte upload with size 3,640,066, so a client must not expect it equal.</item>
/// <item>POST /v1.0/users/{id}/messages/{message}/attachments with a fileAttachment: 201 Created with the attachment and its id
/// (https://learn.microsoft.com/en-us/graph/api/message-post-attachments). The body is JSON with "@odata.type":
/// "#microsoft.graph.fileAttachment" and the required name and contentBytes, the file's bytes in Base64
/// (https://learn.microsoft.com/en-us/graph/api/resources/fileattachment), and the whole request is under 4 MB like any other;
/// this is how a file under 3 MB is attached (https://learn.microsoft.com/en-us/graph/outlook-large-attachments). Without
/// them: 400 (the docs say they are required, not which code a refusal has: ErrorInvalidRequest is ours). The bytes are
/// written to a file; the attachment is listed with the uploaded ones and is part of what <see cref="Sent"/> records.</item>
/// <item>POST /v1.0/users/{id}/messages/{message}/send: 202 Accepted (https://learn.microsoft.com/en-us/graph/api/message-send).</item>
/// <item>DELETE /v1.0/users/{id}/messages/{message}: 204 No Content; the draft leaves the mailbox
/// (https://learn.microsoft.com/en-us/graph/api/message-delete). <see cref="Drafts"/> lists the drafts still there.</item>
/// <item>Every API request carries a bearer token for Graph (aud https://graph.microsoft.com or Graph's app id, nbf/exp
/// valid); otherwise 401 InvalidAuthenticationToken (https://learn.microsoft.com/en-us/graph/auth/auth-concepts,
/// https://learn.microsoft.com/en-us/graph/errors). The signature is not checked (no Entra here).</item>
/// <item>A request body over 4 MB: 413 "The maximum request length supported is 4MB."
/// (https://learn.microsoft.com/en-us/graph/api/user-sendmail and the Outlook attachment pages: 4 MB per request).</item>
/// <item>Errors are JSON {"error":{"code","message","innerError":{...}}} (https://learn.microsoft.com/en-us/graph/errors);
/// throttling is 429 with Retry-After (https://learn.microsoft.com/en-us/graph/throttling).</item>
/// </list>
/// </summary>
public sealed partial class GraphContractEndpoint : IAsyncDisposable
{
    /// <summary>The largest request body Graph takes: 4 MB.</summary>
    public const int MaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>The largest file an Outlook upload session takes: 150 MB.</summary>
    public const long MaxAttachmentBytes = 150L * 1024 * 1024;

    private static readonly string[] GraphAudiences = ["https://graph.microsoft.com", "https://graph.microsoft.com/", "00000003-0000-0000-c000-000000000000"];

    private readonly LoopbackHttpListener listener;
    private readonly string folder;
    private readonly bool ownsFolder;
    private readonly object gate = new();
    private readonly Dictionary<string, Draft> drafts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UploadSession> sessions = new(StringComparer.Ordinal);
    private readonly HashSet<string> endedSessions = new(StringComparer.Ordinal);
    private readonly List<HttpListenerContext> held = [];
    private readonly Queue<ScriptedFault> faults = new();
    private readonly Dictionary<GraphOperation, Queue<ScriptedFault?>> operationFaults = [];
    private int fileNumber;

    private GraphContractEndpoint(int port, string folder, bool ownsFolder)
    {
        this.folder = folder;
        this.ownsFolder = ownsFolder;
        // One request at a time is enough for a client that sends sequentially, and keeps the order checks simple.
        listener = LoopbackHttpListener.Start(HandleAsync, port);
        BaseUrl = new Uri($"http://127.0.0.1:{listener.Port.ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <summary>Gets the base URL to give a client instead of https://graph.microsoft.com/ (the API is under v1.0/).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Gets every refusal of something a real Graph would refuse, in order. A test that expects success asserts it is empty.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>Gets every request answered, in order.</summary>
    public ConcurrentQueue<GraphRequestRecord> Requests { get; } = new();

    /// <summary>Gets the messages accepted for sending, in order.</summary>
    public ConcurrentQueue<GraphSentMessage> Sent { get; } = new();

    /// <summary>Gets the ids of the drafts still in a mailbox's Drafts folder: created, and neither sent nor deleted.</summary>
    public IReadOnlyList<string> Drafts
    {
        get
        {
            lock (gate)
            {
                return drafts.Values.Where(d => !d.Sent).Select(d => d.Id).ToList();
            }
        }
    }

    /// <summary>Starts the endpoint on a free port.</summary>
    /// <param name="folder">Where uploaded attachment bytes are written; <c>null</c>: a temporary folder deleted on dispose.</param>
    /// <param name="port">The port, or 0 for a free one.</param>
    /// <returns>The running endpoint.</returns>
    public static GraphContractEndpoint Start(string? folder = null, int port = 0)
    {
        var owns = folder is null;
        var directory = folder ?? Path.Combine(Path.GetTempPath(), "graph-contract-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return new GraphContractEndpoint(port, directory, owns);
    }

    /// <summary>An unsigned JWT for Graph with the claims Graph checks (aud, nbf, exp), like the Azurite OAuth tokens of the rig.</summary>
    /// <param name="lifetime">How long from now it is valid (negative: already expired).</param>
    /// <param name="audience">The audience.</param>
    /// <returns>The token.</returns>
    public static string Token(TimeSpan lifetime, string audience = "https://graph.microsoft.com") => ManagedIdentityEndpoint.StorageToken(lifetime, audience);

    /// <summary>Answers the next <paramref name="times"/> API requests with <paramref name="fault"/>.</summary>
    /// <param name="fault">The failure.</param>
    /// <param name="times">How many requests get it.</param>
    /// <param name="retryAfterSeconds">The Retry-After value for <see cref="GraphFault.Throttle"/> and <see cref="GraphFault.Unavailable"/>.</param>
    public void Script(GraphFault fault, int times = 1, int retryAfterSeconds = 1)
    {
        lock (gate)
        {
            for (var i = 0; i < times; i++)
            {
                faults.Enqueue(new ScriptedFault(fault, retryAfterSeconds, AcceptedBytes: 0));
            }
        }
    }

    /// <summary>Answers the next <paramref name="times"/> requests of one kind with <paramref name="fault"/>, before any fault scripted for API requests in order.</summary>
    /// <param name="operation">The kind of request.</param>
    /// <param name="fault">The failure.</param>
    /// <param name="times">How many requests of that kind get it.</param>
    /// <param name="retryAfterSeconds">The Retry-After value for <see cref="GraphFault.Throttle"/> and <see cref="GraphFault.Unavailable"/>.</param>
    /// <param name="after">How many requests of that kind go through first.</param>
    public void Script(GraphOperation operation, GraphFault fault, int times = 1, int retryAfterSeconds = 1, int after = 0)
    {
        for (var i = 0; i < after; i++)
        {
            Enqueue(operation, null);
        }

        for (var i = 0; i < times; i++)
        {
            Enqueue(operation, new ScriptedFault(fault, retryAfterSeconds, AcceptedBytes: 0));
        }
    }

    /// <summary>
    /// Breaks one upload range the way a failure in the middle of a PUT can leave it: the range after the next
    /// <paramref name="afterRanges"/> (counted over all upload sessions) is checked as usual, its first
    /// <paramref name="acceptedBytes"/> bytes are stored, the rest is read and dropped, and it is answered with
    /// <paramref name="fault"/>. The session's nextExpectedRanges then says where the client must continue.
    /// </summary>
    /// <param name="fault">The failure (<see cref="GraphFault.Unavailable"/> or <see cref="GraphFault.Disconnect"/> for a transient one).</param>
    /// <param name="acceptedBytes">How many bytes of the range are kept.</param>
    /// <param name="afterRanges">How many ranges go through first.</param>
    /// <param name="retryAfterSeconds">The Retry-After value for <see cref="GraphFault.Unavailable"/>.</param>
    public void ScriptBrokenUploadRange(GraphFault fault, long acceptedBytes, int afterRanges = 0, int retryAfterSeconds = 0)
    {
        for (var i = 0; i < afterRanges; i++)
        {
            Enqueue(GraphOperation.UploadRange, null);
        }

        Enqueue(GraphOperation.UploadRange, new ScriptedFault(fault, retryAfterSeconds, acceptedBytes));
    }

    /// <summary>
    /// Loses the answer to one upload range that arrives whole: the range after the next <paramref name="afterRanges"/>
    /// (counted over all upload sessions) is stored in full, which for the last range of a file completes the attachment on
    /// the draft and ends the session, and then the connection is dropped without an answer (<see cref="GraphFault.Disconnect"/>):
    /// the 201 a client waits for never comes, although the upload is done.
    /// </summary>
    /// <param name="afterRanges">How many ranges go through first.</param>
    public void ScriptUploadAnswerLost(int afterRanges = 0) => ScriptBrokenUploadRange(GraphFault.Disconnect, MaxAttachmentBytes, afterRanges);

    /// <summary>
    /// Loses the answer to one attachment POST: the POST after the next <paramref name="afterPosts"/> is served in full (the
    /// attachment is on the draft) and then the connection is dropped without an answer, so the 201 never reaches the client.
    /// </summary>
    /// <param name="afterPosts">How many attachment POSTs go through first.</param>
    public void ScriptAttachmentAnswerLost(int afterPosts = 0)
    {
        for (var i = 0; i < afterPosts; i++)
        {
            Enqueue(GraphOperation.AddAttachment, null);
        }

        Enqueue(GraphOperation.AddAttachment, new ScriptedFault(GraphFault.Disconnect, 0, MaxAttachmentBytes));
    }

    public async ValueTask DisposeAsync()
    {
        lock (gate)
        {
            // Requests left unanswered (GraphFault.Hang): their connections are closed now.
            held.ForEach(context => context.Response.Abort());
            held.Clear();
        }

        await listener.DisposeAsync().ConfigureAwait(false);

        if (ownsFolder)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // a file still open by a test: leave the temporary folder
            }
        }
    }

    [GeneratedRegex("^/v1\\.0/users/(?<user>[^/]+)/(?<rest>.+)$")]
    private static partial Regex UserPath();

    [GeneratedRegex("^bytes (?<start>[0-9]+)-(?<end>[0-9]+)/(?<total>[0-9]+)$")]
    private static partial Regex ContentRange();

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        var bearer = Bearer(request);
        var received = DateTimeOffset.UtcNow;
        Answer answer;
        if (path.StartsWith("/upload/", StringComparison.Ordinal))
        {
            answer = await UploadAsync(request, path["/upload/".Length..]).ConfigureAwait(false);
        }
        else
        {
            answer = await ApiAsync(request, path, bearer).ConfigureAwait(false);
        }

        Requests.Enqueue(new GraphRequestRecord(received, request.HttpMethod, path, answer.Status, answer.ErrorCode, bearer));
        if (answer.Hang)
        {
            // Left open without an answer until the endpoint stops; the next request is served meanwhile.
            lock (gate)
            {
                held.Add(context);
            }

            return;
        }

        await answer.WriteAsync(context.Response).ConfigureAwait(false);
    }

    private async Task<Answer> ApiAsync(HttpListenerRequest request, string path, string? bearer)
    {
        if (Authenticate(request, bearer) is { } refused)
        {
            await DrainAsync(request).ConfigureAwait(false);
            return refused;
        }

        var match = UserPath().Match(path);
        string[] rest = match.Success ? match.Groups["rest"].Value.Split('/') : [];
        GraphOperation? operation = (request.HttpMethod, rest) switch
        {
            ("POST", ["sendMail"]) => GraphOperation.SendMail,
            ("POST", ["messages"]) => GraphOperation.CreateDraft,
            ("POST", ["messages", _, "attachments", "createUploadSession"]) => GraphOperation.CreateUploadSession,
            ("GET", ["messages", _, "attachments"]) => GraphOperation.ListAttachments,
            ("POST", ["messages", _, "attachments"]) => GraphOperation.AddAttachment,
            ("POST", ["messages", _, "send"]) => GraphOperation.SendDraft,
            ("DELETE", ["messages", _]) => GraphOperation.DeleteMessage,
            _ => null,
        };
        ScriptedFault? fault = operation is { } kind ? TakeFault(kind) : null;
        lock (gate)
        {
            if (fault is null && faults.Count > 0)
            {
                fault = faults.Dequeue();
            }
        }

        // An attachment POST whose answer is lost (ScriptAttachmentAnswerLost) is served first.
        var servedThenLost = operation == GraphOperation.AddAttachment && fault is { AcceptedBytes: > 0 } ? fault : null;
        if (fault is not null && servedThenLost is null)
        {
            await DrainAsync(request).ConfigureAwait(false);
            return fault.Answer();
        }

        if (operation is null)
        {
            await DrainAsync(request).ConfigureAwait(false);
            return Refuse(404, "ResourceNotFound", $"{request.HttpMethod} {path} is not part of the mail-sending contract this endpoint serves.");
        }

        var user = Uri.UnescapeDataString(match.Groups["user"].Value);
        return operation switch
        {
            GraphOperation.SendMail => await SendMailAsync(request, user).ConfigureAwait(false),
            GraphOperation.CreateDraft => await CreateDraftAsync(request, user).ConfigureAwait(false),
            GraphOperation.CreateUploadSession => await CreateUploadSessionAsync(request, user, rest[1]).ConfigureAwait(false),
            GraphOperation.SendDraft => await SendDraftAsync(request, user, rest[1]).ConfigureAwait(false),
            GraphOperation.ListAttachments => await ListAttachmentsAsync(request, user, rest[1]).ConfigureAwait(false),
            GraphOperation.AddAttachment => await AddAttachmentAsync(request, user, rest[1], servedThenLost).ConfigureAwait(false),
            _ => await DeleteMessageAsync(request, user, rest[1]).ConfigureAwait(false),
        };
    }

    private void Enqueue(GraphOperation operation, ScriptedFault? fault)
    {
        lock (gate)
        {
            if (!operationFaults.TryGetValue(operation, out var queue))
            {
                operationFaults[operation] = queue = new Queue<ScriptedFault?>();
            }

            queue.Enqueue(fault);
        }
    }

    // The fault scripted for the next request of this kind, or null (none scripted, or one that is let through).
    private ScriptedFault? TakeFault(GraphOperation operation)
    {
        lock (gate)
        {
            return operationFaults.TryGetValue(operation, out var queue) && queue.Count > 0 ? queue.Dequeue() : null;
        }
    }

    private Answer? Authenticate(HttpListenerRequest request, string? bearer)
    {
        if (bearer is null)
        {
            return Refuse(401, "InvalidAuthenticationToken", request.Headers["Authorization"] is null ? "Access token is empty." : "The Authorization header is not a bearer token.");
        }

        JsonElement claims;
        try
        {
            var parts = bearer.Split('.');
            if (parts.Length != 3)
            {
                return Refuse(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).");
            }

            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var json = JsonDocument.Parse(Convert.FromBase64String(payload));
            claims = json.RootElement.Clone();
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return Refuse(401, "InvalidAuthenticationToken", "The access token's payload is not Base64url JSON.");
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var audience = claims.TryGetProperty("aud", out var aud) && aud.ValueKind == JsonValueKind.String ? aud.GetString() : null;
        if (audience is null || !GraphAudiences.Contains(audience, StringComparer.Ordinal))
        {
            return Refuse(401, "InvalidAuthenticationToken", $"Invalid audience '{audience}': the token is not for Microsoft Graph.");
        }

        if (!claims.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var expires) || expires <= now)
        {
            return Refuse(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.");
        }

        if (claims.TryGetProperty("nbf", out var nbf) && nbf.TryGetInt64(out var notBefore) && notBefore > now + 300)
        {
            return Refuse(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is not yet valid.");
        }

        return null;
    }

    private async Task<Answer> SendMailAsync(HttpListenerRequest request, string user)
    {
        var (mime, refused) = await ReadMimeAsync(request).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        Sent.Enqueue(new GraphSentMessage(user, mime!, [], "sendMail", DateTimeOffset.UtcNow));
        return new Answer(202);
    }

    private async Task<Answer> CreateDraftAsync(HttpListenerRequest request, string user)
    {
        var (mime, refused) = await ReadMimeAsync(request).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var id = "AAMk" + Guid.NewGuid().ToString("N");
        lock (gate)
        {
            drafts[id] = new Draft(id, user, mime!);
        }

        return Answer.Json(201, new Dictionary<string, object> { ["id"] = id, ["isDraft"] = true });
    }

    private async Task<Answer> CreateUploadSessionAsync(HttpListenerRequest request, string user, string messageId)
    {
        var (body, draft, refused) = await ReadDraftJsonRequestAsync(request, user, messageId, "createUploadSession").ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        // attachment-createuploadsession: the body is {"AttachmentItem": {attachmentType: file, name, size, [contentType, isInline, contentId]}}.
        string name;
        long size;
        string? contentType;
        string? contentId;
        bool isInline;
        try
        {
            using var json = JsonDocument.Parse(body);
            var item = json.RootElement.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, "AttachmentItem", StringComparison.OrdinalIgnoreCase)).Value;
            if (item.ValueKind != JsonValueKind.Object)
            {
                return Refuse(400, "ErrorInvalidRequest", "The request body has no AttachmentItem.");
            }

            var type = item.TryGetProperty("attachmentType", out var t) ? t.GetString() : null;
            if (!string.Equals(type, "file", StringComparison.OrdinalIgnoreCase))
            {
                return Refuse(400, "ErrorInvalidRequest", $"AttachmentItem.attachmentType must be 'file', not '{type}'.");
            }

            name = item.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : string.Empty;
            size = item.TryGetProperty("size", out var s) && s.TryGetInt64(out var declared) ? declared : -1;
            contentType = item.TryGetProperty("contentType", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            contentId = item.TryGetProperty("contentId", out var cid) && cid.ValueKind == JsonValueKind.String ? cid.GetString() : null;
            isInline = item.TryGetProperty("isInline", out var inl) && inl.ValueKind == JsonValueKind.True;
        }
        catch (JsonException ex)
        {
            return Refuse(400, "BadRequest", $"The request body is not JSON: {ex.Message}");
        }

        if (name.Length == 0 || size <= 0)
        {
            return Refuse(400, "ErrorInvalidRequest", "AttachmentItem needs a name and a positive size.");
        }

        if (size > MaxAttachmentBytes)
        {
            return Refuse(400, "ErrorInvalidRequest", $"An upload session takes files up to 150 MB, not {size} bytes.");
        }

        var sessionId = Guid.NewGuid().ToString("N");
        var file = Path.Combine(folder, $"upload-{Interlocked.Increment(ref fileNumber).ToString("D6", CultureInfo.InvariantCulture)}.bin");
        await File.WriteAllBytesAsync(file, []).ConfigureAwait(false);
        var expires = DateTimeOffset.UtcNow.AddMinutes(15);
        lock (gate)
        {
            var session = new UploadSession(draft, new GraphUploadedAttachment(name, contentType, contentId, isInline, size, file), expires);
            sessions[sessionId] = session;
            draft.Uploads.Add(session);
        }

        return Answer.Json(201, new Dictionary<string, object>
        {
            ["@odata.context"] = $"{BaseUrl}v1.0/$metadata#microsoft.graph.uploadSession",
            ["uploadUrl"] = $"{BaseUrl}upload/{sessionId}",
            ["expirationDateTime"] = expires.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
            ["nextExpectedRanges"] = new[] { "0-" },
        });
    }

    private async Task<Answer> UploadAsync(HttpListenerRequest request, string sessionId)
    {
        UploadSession? session;
        bool ended;
        lock (gate)
        {
            sessions.TryGetValue(sessionId, out session);
            ended = endedSessions.Contains(sessionId);
        }

        if (session is null && ended && request.HttpMethod is "PUT" or "GET")
        {
            // Expired, or completed by its last range: gone, as Graph's 404 says (driveitem-createuploadsession, best practices).
            await DrainAsync(request).ConfigureAwait(false);
            return SessionGone();
        }

        if (session is null || request.HttpMethod is not ("PUT" or "GET"))
        {
            await DrainAsync(request).ConfigureAwait(false);
            return Refuse(404, "ErrorItemNotFound", "No upload session at this URL (or not a PUT or GET).");
        }

        // outlook-large-attachments: the uploadUrl is pre-authenticated; a request to it must not carry an Authorization header.
        if (request.Headers["Authorization"] is not null)
        {
            await DrainAsync(request).ConfigureAwait(false);
            return Refuse(401, "InvalidAuthenticationToken", $"The {request.HttpMethod} to an upload URL must not carry an Authorization header.");
        }

        if (request.HttpMethod == "GET")
        {
            await DrainAsync(request).ConfigureAwait(false);
            var statusFault = TakeFault(GraphOperation.UploadStatus);
            if (statusFault?.Fault == GraphFault.ExpireSession)
            {
                End(sessionId, session, expired: true);
            }

            return statusFault?.Answer() ?? session.Status();
        }

        var range = ContentRange().Match(request.Headers["Content-Range"] ?? string.Empty);
        if (!range.Success
            || !long.TryParse(range.Groups["start"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !long.TryParse(range.Groups["end"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            || !long.TryParse(range.Groups["total"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var total))
        {
            await DrainAsync(request).ConfigureAwait(false);
            return Refuse(400, "InvalidRange", $"Content-Range must be 'bytes start-end/total', not '{request.Headers["Content-Range"]}'.");
        }

        var length = end - start + 1;
        string? problem =
            total != session.Attachment.Size ? $"Content-Range total {total} differs from the size {session.Attachment.Size} the session was created with."
            : start != session.Received ? $"The next expected range starts at {session.Received}, not {start}: ranges must be uploaded in order."
            : end < start || end >= total ? $"Content-Range bytes {start}-{end}/{total} is not a range inside the file."
            : length > MaxRequestBytes ? $"A range of {length} bytes is more than the 4 MB one PUT may carry."
            : request.ContentLength64 != length ? $"Content-Length {request.ContentLength64} differs from the {length} bytes Content-Range names."
            : null;
        if (problem is not null)
        {
            await DrainAsync(request).ConfigureAwait(false);
            return Refuse(length > MaxRequestBytes ? 413 : 400, "InvalidRange", problem);
        }

        // A broken range (ScriptBrokenUploadRange) keeps only its first bytes and fails.
        var fault = TakeFault(GraphOperation.UploadRange);
        if (fault?.Fault == GraphFault.ExpireSession)
        {
            // The session ran out before this range: nothing of it is stored.
            await DrainAsync(request).ConfigureAwait(false);
            End(sessionId, session, expired: true);
            return fault.Answer();
        }

        var keep = fault is null ? length : Math.Clamp(fault.AcceptedBytes, 0, length);

        // Stream the range to disk with a small buffer: the endpoint never holds an attachment in memory.
        long read = 0;
        await using (var target = new FileStream(session.Attachment.Path, FileMode.Open, FileAccess.Write, FileShare.Read, 81920, useAsync: true))
        {
            target.Seek(start, SeekOrigin.Begin);
            var buffer = new byte[81920];
            int count;
            while ((count = await request.InputStream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                var kept = (int)Math.Clamp(keep - read, 0, count);
                read += count;
                if (read > length)
                {
                    break;
                }

                await target.WriteAsync(buffer.AsMemory(0, kept)).ConfigureAwait(false);
            }
        }

        if (read != length)
        {
            await DrainAsync(request).ConfigureAwait(false);
            return Refuse(400, "InvalidRange", $"The body has {read} bytes, not the {length} Content-Range names.");
        }

        session.Received = start + keep;
        if (session.Received == total)
        {
            // The last byte is in: the attachment is on the draft and the session is over, whether or not the answer
            // reaches the client (ScriptUploadAnswerLost).
            session.AttachmentId = "AAMkAttachment" + Guid.NewGuid().ToString("N");
            End(sessionId, session, expired: false);
        }

        if (fault is not null)
        {
            return fault.Answer();
        }

        return session.AttachmentId is { } attachmentId
            ? new Answer(201, Location: $"{BaseUrl}v1.0/users('{session.Draft.User}')/messages('{session.Draft.Id}')/attachments('{attachmentId}')")
            : session.Status();
    }

    // A session that expired or completed: its URL answers 404 from now on. An expired one never became an attachment, so
    // it is no longer an upload of its draft (nor an unfinished one that stops the send).
    private void End(string sessionId, UploadSession session, bool expired)
    {
        lock (gate)
        {
            sessions.Remove(sessionId);
            endedSessions.Add(sessionId);
            if (expired)
            {
                session.Draft.Uploads.Remove(session);
            }
        }

        if (expired)
        {
            File.Delete(session.Attachment.Path);
        }
    }

    private static Answer SessionGone() => Answer.Error(404, "ErrorItemNotFound", "The upload session does not exist: it expired, was completed or was deleted.");

    // message-post-attachments: a fileAttachment of at most 4 MB of request; 201 Created with the attachment (without its bytes here).
    private async Task<Answer> AddAttachmentAsync(HttpListenerRequest request, string user, string messageId, ScriptedFault? lostAnswer)
    {
        var (body, draft, refused) = await ReadDraftJsonRequestAsync(request, user, messageId, "Adding an attachment").ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        string name;
        string? contentType;
        string? contentId;
        bool isInline;
        byte[] bytes;
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var type = root.TryGetProperty("@odata.type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (!string.Equals(type, "#microsoft.graph.fileAttachment", StringComparison.Ordinal))
            {
                return Refuse(400, "ErrorInvalidRequest", $"A file attachment needs \"@odata.type\": \"#microsoft.graph.fileAttachment\", not '{type}'.");
            }

            name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : string.Empty;
            var content = root.TryGetProperty("contentBytes", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            if (name.Length == 0 || content is null)
            {
                return Refuse(400, "ErrorInvalidRequest", "A file attachment needs its name and contentBytes.");
            }

            try
            {
                bytes = Convert.FromBase64String(content);
            }
            catch (FormatException)
            {
                return Refuse(400, "ErrorInvalidRequest", "contentBytes is not Base64.");
            }

            contentType = root.TryGetProperty("contentType", out var ct) && ct.ValueKind == JsonValueKind.String ? ct.GetString() : null;
            contentId = root.TryGetProperty("contentId", out var cid) && cid.ValueKind == JsonValueKind.String ? cid.GetString() : null;
            isInline = root.TryGetProperty("isInline", out var inl) && inl.ValueKind == JsonValueKind.True;
        }
        catch (JsonException ex)
        {
            return Refuse(400, "BadRequest", $"The request body is not JSON: {ex.Message}");
        }

        var file = Path.Combine(folder, $"attachment-{Interlocked.Increment(ref fileNumber).ToString("D6", CultureInfo.InvariantCulture)}.bin");
        await File.WriteAllBytesAsync(file, bytes).ConfigureAwait(false);
        var attachment = new GraphUploadedAttachment(name, contentType, contentId, isInline, bytes.Length, file);
        var id = "AAMkAttachment" + Guid.NewGuid().ToString("N");
        lock (gate)
        {
            draft.Uploads.Add(new UploadSession(draft, attachment, DateTimeOffset.UtcNow) { Received = bytes.Length, AttachmentId = id });
        }

        // The attachment is on the draft; its answer may still be lost (ScriptAttachmentAnswerLost).
        return lostAnswer?.Answer() ?? Answer.Json(201, new Dictionary<string, object?>
        {
            ["@odata.context"] = $"{BaseUrl}v1.0/$metadata#users('{user}')/messages('{messageId}')/attachments/$entity",
            ["@odata.type"] = "#microsoft.graph.fileAttachment",
            ["id"] = id,
            ["name"] = name,
            ["contentType"] = contentType,
            ["size"] = bytes.Length,
            ["isInline"] = isInline,
            ["contentId"] = contentId,
        });
    }

    // message-list-attachments: 200 with value; the attachments of completed uploads (those in the draft's MIME are not listed).
    private async Task<Answer> ListAttachmentsAsync(HttpListenerRequest request, string user, string id)
    {
        await DrainAsync(request).ConfigureAwait(false);
        List<UploadSession> uploads;
        lock (gate)
        {
            if (!drafts.TryGetValue(id, out var draft) || draft.User != user)
            {
                return Refuse(404, "ErrorItemNotFound", "The specified object was not found in the store.");
            }

            uploads = draft.Uploads.Where(u => u.AttachmentId is not null).ToList();
        }

        var select = request.QueryString["$select"]?.Split(',').Select(p => p.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var value = uploads.Select(u =>
        {
            var all = new Dictionary<string, object?>
            {
                ["@odata.type"] = "#microsoft.graph.fileAttachment",
                ["id"] = u.AttachmentId,
                ["name"] = u.Attachment.Name,
                ["contentType"] = u.Attachment.ContentType,
                ["size"] = u.Attachment.Size,
                ["isInline"] = u.Attachment.IsInline,
            };

            // $select: the properties asked for; id and the type always come (https://learn.microsoft.com/en-us/graph/query-parameters).
            return select is null ? all : all.Where(p => p.Key is "@odata.type" or "id" || select.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value);
        }).ToList();
        return Answer.Json(200, new Dictionary<string, object>
        {
            ["@odata.context"] = $"{BaseUrl}v1.0/$metadata#users('{user}')/messages('{id}')/attachments",
            ["value"] = value,
        });
    }

    private async Task<Answer> SendDraftAsync(HttpListenerRequest request, string user, string id)
    {
        await DrainAsync(request).ConfigureAwait(false);
        Draft? draft;
        lock (gate)
        {
            drafts.TryGetValue(id, out draft);
        }

        if (draft is null || draft.User != user || draft.Sent)
        {
            return Refuse(404, "ErrorItemNotFound", "The specified object was not found in the store.");
        }

        // Graph does not document this refusal's code; an attachment whose upload is incomplete is not on the item, so what
        // would go out is not what the client composed. The test must fail: refuse, and record it. (The code is ours.)
        var incomplete = draft.Uploads.Where(u => u.Received < u.Attachment.Size).ToList();
        if (incomplete.Count > 0)
        {
            return Refuse(400, "ErrorInvalidRequest", $"The draft has {incomplete.Count} attachment upload(s) not finished: {string.Join(", ", incomplete.Select(u => $"{u.Attachment.Name} {u.Received}/{u.Attachment.Size}"))}.");
        }

        draft.Sent = true;
        Sent.Enqueue(new GraphSentMessage(user, draft.Mime, draft.Uploads.Select(u => u.Attachment).ToList(), "draft", DateTimeOffset.UtcNow));
        return new Answer(202);
    }

    // message-delete: 204 No Content. A draft deleted is gone with its upload sessions; a sent one is no longer a draft.
    private async Task<Answer> DeleteMessageAsync(HttpListenerRequest request, string user, string id)
    {
        await DrainAsync(request).ConfigureAwait(false);
        lock (gate)
        {
            if (drafts.TryGetValue(id, out var draft) && draft.User == user && !draft.Sent)
            {
                drafts.Remove(id);
                foreach (var sessionId in sessions.Where(s => s.Value.Draft == draft).Select(s => s.Key).ToList())
                {
                    sessions.Remove(sessionId);
                }

                return new Answer(204);
            }
        }

        return Refuse(404, "ErrorItemNotFound", "The specified object was not found in the store.");
    }

    // outlook-send-mime-message: MIME goes as Content-Type text/plain, the MIME Base64-encoded in the body.
    private async Task<(byte[]? Mime, Answer? Refused)> ReadMimeAsync(HttpListenerRequest request)
    {
        var (body, refused) = await ReadLimitedAsync(request).ConfigureAwait(false);
        if (refused is not null)
        {
            return (null, refused);
        }

        if (!(request.ContentType ?? string.Empty).StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Refuse(415, "UnsupportedMediaType", $"This endpoint takes MIME (Content-Type text/plain, Base64 body) only, not '{request.ContentType}'."));
        }

        byte[] mime;
        try
        {
            mime = Convert.FromBase64String(Encoding.ASCII.GetString(body).Trim());
        }
        catch (FormatException)
        {
            return (null, Refuse(400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."));
        }

        var text = Encoding.ASCII.GetString(mime, 0, Math.Min(mime.Length, 64 * 1024));
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        headerEnd = headerEnd >= 0 ? headerEnd : text.IndexOf("\n\n", StringComparison.Ordinal);
        if (mime.Length == 0 || headerEnd < 0)
        {
            return (null, Refuse(400, "ErrorMimeContentInvalid", "The MIME content has no header section."));
        }

        var headers = "\n" + text[..headerEnd];
        if (!Regex.IsMatch(headers, "\\n(To|Cc|Bcc):", RegexOptions.IgnoreCase))
        {
            return (null, Refuse(400, "ErrorInvalidRecipients", "At least one recipient is not valid: the MIME has no To, Cc or Bcc."));
        }

        return (mime, null);
    }

    // A JSON request on an unsent draft of the token's user (createUploadSession, an attachment POST): its body within the
    // request limit and the draft, or the refusal Graph gives (413, 404 ErrorItemNotFound, 415).
    private async Task<(byte[] Body, Draft Draft, Answer? Refused)> ReadDraftJsonRequestAsync(HttpListenerRequest request, string user, string messageId, string what)
    {
        var (body, refused) = await ReadLimitedAsync(request).ConfigureAwait(false);
        if (refused is not null)
        {
            return (body, null!, refused);
        }

        Draft? draft;
        lock (gate)
        {
            drafts.TryGetValue(messageId, out draft);
        }

        if (draft is null || draft.User != user || draft.Sent)
        {
            return (body, null!, Refuse(404, "ErrorItemNotFound", "The specified object was not found in the store."));
        }

        return (request.ContentType ?? string.Empty).StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            ? (body, draft, null)
            : (body, draft, Refuse(415, "UnsupportedMediaType", $"{what} takes a JSON body (Content-Type: application/json)."));
    }

    // Reads a request body of at most 4 MB; a larger one is refused without reading it all.
    private async Task<(byte[] Body, Answer? Refused)> ReadLimitedAsync(HttpListenerRequest request)
    {
        if (request.ContentLength64 > MaxRequestBytes)
        {
            await DrainAsync(request).ConfigureAwait(false);
            return ([], Refuse(413, "RequestEntityTooLarge", "The maximum request length supported is 4MB."));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.InputStream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxRequestBytes)
            {
                await DrainAsync(request).ConfigureAwait(false);
                return ([], Refuse(413, "RequestEntityTooLarge", "The maximum request length supported is 4MB."));
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), null);
    }

    private static async Task DrainAsync(HttpListenerRequest request)
    {
        var sink = new byte[81920];
        while (await request.InputStream.ReadAsync(sink).ConfigureAwait(false) > 0)
        {
        }
    }

    private Answer Refuse(int status, string code, string message)
    {
        Violations.Enqueue($"{status} {code}: {message}");
        return Answer.Error(status, code, message);
    }

    private static string? Bearer(HttpListenerRequest request)
    {
        var header = request.Headers["Authorization"];
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private sealed class Draft(string id, string user, byte[] mime)
    {
        public string Id { get; } = id;

        public string User { get; } = user;

        public byte[] Mime { get; } = mime;

        public List<UploadSession> Uploads { get; } = [];

        public bool Sent { get; set; }
    }

    private sealed class UploadSession(Draft draft, GraphUploadedAttachment attachment, DateTimeOffset expires)
    {
        public Draft Draft { get; } = draft;

        public GraphUploadedAttachment Attachment { get; } = attachment;

        public DateTimeOffset Expires { get; } = expires;

        public long Received { get; set; }

        // Set when the last byte arrived: the attachment is on the draft.
        public string? AttachmentId { get; set; }

        // uploadsession: for an Outlook attachment nextExpectedRanges is a single "{start}".
        public Answer Status() => Answer.Json(200, new Dictionary<string, object>
        {
            ["expirationDateTime"] = Expires.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
            ["nextExpectedRanges"] = new[] { Received.ToString(CultureInfo.InvariantCulture) },
        });
    }

    private sealed record ScriptedFault(GraphFault Fault, int RetryAfterSeconds, long AcceptedBytes)
    {
        public Answer Answer() => Fault switch
        {
            GraphFault.Throttle => GraphContractEndpoint.Answer.Error(429, "TooManyRequests", "Application is over its MailboxConcurrency limit.", RetryAfterSeconds),
            GraphFault.Unavailable => GraphContractEndpoint.Answer.Error(503, "ServiceUnavailable", "The service is temporarily unavailable.", RetryAfterSeconds),
            GraphFault.Disconnect => new GraphContractEndpoint.Answer(0, Abort: true),
            GraphFault.ExpireSession => SessionGone(),
            GraphFault.Hang => new GraphContractEndpoint.Answer(0, Hang: true),
            GraphFault.NotJson => new GraphContractEndpoint.Answer(200, "<html><body>Service is being upgraded</body></html>"u8.ToArray(), ContentType: "text/html"),
            _ => GraphContractEndpoint.Answer.Error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."),
        };
    }

    private sealed record Answer(int Status, byte[]? Body = null, string? ErrorCode = null, int? RetryAfter = null, string? Location = null, bool Abort = false, bool Hang = false, string ContentType = "application/json")
    {
        public static Answer Json(int status, object value) => new(status, JsonSerializer.SerializeToUtf8Bytes(value));

        // https://learn.microsoft.com/en-us/graph/errors: {"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}
        public static Answer Error(int status, string code, string message, int? retryAfter = null)
        {
            var id = Guid.NewGuid().ToString();
            var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["error"] = new Dictionary<string, object>
                {
                    ["code"] = code,
                    ["message"] = message,
                    ["innerError"] = new Dictionary<string, string>
                    {
                        ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
                        ["request-id"] = id,
                        ["client-request-id"] = id,
                    },
                },
            });
            return new Answer(status, body, code, retryAfter);
        }

        public async Task WriteAsync(HttpListenerResponse response)
        {
            if (Abort)
            {
                // The connection lost mid-answer. HttpListener's Abort alone sends the default 200 on Linux: promise a body,
                // send a byte of it and close the connection, so the client sees the answer end prematurely.
                response.ContentLength64 = 1024;
                await response.OutputStream.WriteAsync("{"u8.ToArray()).ConfigureAwait(false);
                await response.OutputStream.FlushAsync().ConfigureAwait(false);
                response.Abort();
                return;
            }

            response.StatusCode = Status;
            if (RetryAfter is { } seconds)
            {
                response.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
            }

            if (Location is not null)
            {
                response.Headers["Location"] = Location;
            }

            if (Body is not null)
            {
                response.ContentType = ContentType;
                response.ContentLength64 = Body.Length;
                await response.OutputStream.WriteAsync(Body).ConfigureAwait(false);
            }
            else
            {
                response.ContentLength64 = 0;
            }

            response.Close();
        }
    }
}
