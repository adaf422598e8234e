// Past the house's 450 lines on purpose: it is ACS Email's contract as the docs state it (request shape and limits,
// HMAC and token checks, operations and polling, throttling, Operation-Id), each rule beside the page it came from.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace SmtpOps.TestServers.Acs;

/// <summary>
/// The e-mail part of an Azure Communication Services resource, on 127.0.0.1 over HTTP, strict about the documented contract:
/// what a real ACS refuses, this refuses with an error answer and also records as a <see cref="Violations"/> entry that a
/// test asserts on. Written from Microsoft's documentation, each rule citing its page; where a page documents a limit but
/// not the error code of its refusal, the code used here is marked as ours.
/// <list type="bullet">
/// <item>POST /emails:send?api-version=2023-03-31 or 2025-09-01 with a JSON EmailMessage: senderAddress, content
/// (subject required, plainText, html), recipients (to required; cc, bcc; each an EmailAddress with address and an optional
/// displayName), attachments (name, contentType, contentInBase64 required), replyTo, headers (string values),
/// userEngagementTrackingDisabled; optional request header Operation-Id (a UUID chosen by the client; "If an ID is not
/// provided by the customer, the service will generate one"): 202 Accepted with Operation-Location and retry-after and an
/// EmailSendResult {id, status} (https://learn.microsoft.com/en-us/rest/api/communication/dataplane/email/send; the swagger
/// specification/communication/data-plane/Email/stable/2023-03-31 and 2025-09-01/CommunicationServicesEmail.json of
/// Azure/azure-rest-api-specs and its SendEmail.json example).</item>
/// <item>contentId on an attachment makes it inline, referenced from the HTML as cid:; added with 2025-09-01 (the SDKs'
/// 1.1.0 release for 2025-09-01; https://learn.microsoft.com/en-us/azure/communication-services/quickstarts/email/send-email-advanced/send-email-with-inline-attachments).
/// A duplicate content id is a Bad Request unless the header x-ms-acsemail-ignore-duplicate-content-id is "true"
/// (https://learn.microsoft.com/en-us/azure/communication-services/concepts/email/email-headers).</item>
/// <item>Limits (https://learn.microsoft.com/en-us/azure/communication-services/concepts/service-limits#email): at most 50
/// recipients (To, Cc and Bcc together) and a request of at most 10 MB, attachments included ("we limit the total size of an
/// email request (which includes attachments) to 10MB", the swagger's attachments description); refused 400
/// TooManyRecipients and 413 RequestEntityTooLarge (the codes are ours).</item>
/// <item>A repeated Operation-Id: the operation the id already names is answered 202 again, and nothing is sent a second
/// time. The docs say what the id is for (the client's id of the long-running operation; the SDKs take it "to ensure that the
/// same operation is not processed more than once", Azure/azure-sdk-for-net#40779) but not what the service answers to a
/// repeat: answering with the existing operation is our reading, and what a client that lost a 202 needs.</item>
/// <item>GET /emails/operations/{id}?api-version=...: 200 with {id, status, error?}; retry-after on a non-terminal status
/// (https://learn.microsoft.com/en-us/rest/api/communication/dataplane/email/get-send-result; the GetOperationStatus*
/// examples, the failed one with error code EmailDropped).</item>
/// <item>Authentication (https://learn.microsoft.com/en-us/rest/api/communication/authentication,
/// https://learn.microsoft.com/en-us/azure/communication-services/tutorials/hmac-header-tutorial): either
/// "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&amp;Signature=..." with x-ms-date (RFC 1123, within 15 minutes
/// of now), x-ms-content-sha256 (the body's Base64 SHA-256, checked) and the Base64 HMAC-SHA256, keyed with the access key,
/// of "VERB\npath-and-query\ndate;host;hash"; or a Microsoft Entra bearer token for https://communication.azure.com (aud,
/// nbf/exp; the signature is not checked: no Entra here). Otherwise 401 (code ours: Unauthorized).</item>
/// <item>Errors are {"error": {"code", "message"}} with the same code in x-ms-error-code (the swagger's default response);
/// throttling is 429 with Retry-After.</item>
/// </list>
/// </summary>
public sealed class AcsContractEndpoint : IAsyncDisposable
{
    /// <summary>The largest request: 10 MB.</summary>
    public const int MaxRequestBytes = 10 * 1024 * 1024;

    /// <summary>The most recipients of one message.</summary>
    public const int MaxRecipients = 50;

    private static readonly string[] ApiVersions = ["2023-03-31", "2025-09-01"];
    private static readonly string[] Audiences = ["https://communication.azure.com", "https://communication.azure.com/"];
    private static readonly HashSet<string> MessageProperties = ["senderAddress", "content", "recipients", "attachments", "replyTo", "headers", "userEngagementTrackingDisabled"];

    private readonly LoopbackHttpListener listener;
    private readonly byte[]? accessKey;
    private readonly object gate = new();
    private readonly Queue<(AcsFault Fault, int RetryAfter)> faults = new();
    private readonly Dictionary<string, Operation> operations = new(StringComparer.OrdinalIgnoreCase);

    private AcsContractEndpoint(int port, byte[]? accessKey)
    {
        this.accessKey = accessKey;
        // One request at a time, as the Graph endpoint: a client that sends sequentially, order checks kept simple.
        listener = LoopbackHttpListener.Start(HandleAsync, port);
        BaseUrl = new Uri($"http://127.0.0.1:{listener.Port.ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <summary>Gets the endpoint to give a client instead of https://&lt;resource&gt;.communication.azure.com/.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Gets every refusal of something a real ACS would refuse, in order. A test that expects success asserts it is empty.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>Gets every request answered, in order.</summary>
    public ConcurrentQueue<AcsRequestRecord> Requests { get; } = new();

    /// <summary>Gets the messages sent, in order: one per operation, never two for one Operation-Id.</summary>
    public ConcurrentQueue<AcsSentMessage> Sent { get; } = new();

    /// <summary>Gets or sets how many polls of an operation answer Running before its final status (0 by default: the first poll gets it; the 202 always says Running).</summary>
    public int PollsBeforeDone { get; set; }

    /// <summary>Gets or sets the retry-after in seconds of an operation that is not done yet (0 by default: tests stay quick).</summary>
    public int PollRetryAfterSeconds { get; set; }

    /// <summary>Starts the endpoint on a free port.</summary>
    /// <param name="accessKey">The resource's access key (Base64) that HMAC-signed requests are checked with; <c>null</c>: only Entra tokens.</param>
    /// <param name="port">The port, or 0 for a free one.</param>
    /// <returns>The running endpoint.</returns>
    public static AcsContractEndpoint Start(string? accessKey = null, int port = 0)
    {
        return new AcsContractEndpoint(port, accessKey is null ? null : Convert.FromBase64String(accessKey));
    }

    /// <summary>A new random access key, Base64 as the portal shows one.</summary>
    /// <returns>The key.</returns>
    public static string NewAccessKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));

    /// <summary>An unsigned JWT for ACS with the claims checked here (aud, nbf, exp).</summary>
    /// <param name="lifetime">How long from now it is valid.</param>
    /// <param name="audience">The audience.</param>
    /// <returns>The token.</returns>
    public static string Token(TimeSpan lifetime, string audience = "https://communication.azure.com") => ManagedIdentityEndpoint.StorageToken(lifetime, audience);

    /// <summary>Answers the next <paramref name="times"/> send requests with <paramref name="fault"/>.</summary>
    /// <param name="fault">The failure.</param>
    /// <param name="times">How many send requests get it.</param>
    /// <param name="retryAfterSeconds">The Retry-After of a 429 or 503.</param>
    public void Script(AcsFault fault, int times = 1, int retryAfterSeconds = 1)
    {
        lock (gate)
        {
            for (var i = 0; i < times; i++)
            {
                faults.Enqueue((fault, retryAfterSeconds));
            }
        }
    }

    public ValueTask DisposeAsync() => listener.DisposeAsync();

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var received = DateTimeOffset.UtcNow;
        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        var path = request.Url!.AbsolutePath;
        var operationId = request.Headers["Operation-Id"];
        Answer answer;
        if (body is null)
        {
            answer = Refuse(413, "RequestEntityTooLarge", $"The request is over {MaxRequestBytes} bytes: ACS limits the total size of an email request, attachments included, to 10 MB.");
        }
        else if (Authenticate(request, body) is { } refused)
        {
            answer = refused;
        }
        else if (request.HttpMethod == "POST" && path == "/emails:send")
        {
            answer = Send(request, body, received, ref operationId);
        }
        else if (request.HttpMethod == "GET" && path.StartsWith("/emails/operations/", StringComparison.Ordinal))
        {
            operationId = Uri.UnescapeDataString(path["/emails/operations/".Length..]);
            answer = Poll(request, operationId);
        }
        else
        {
            answer = Refuse(404, "NotFound", $"{request.HttpMethod} {path} is not part of the e-mail contract this endpoint serves.");
        }

        Requests.Enqueue(new AcsRequestRecord(received, request.HttpMethod, path, answer.Status, answer.ErrorCode, operationId));
        await answer.WriteAsync(context.Response).ConfigureAwait(false);
    }

    // The body, or null when it is over the 10 MB limit (read to the end all the same, so the client sees the answer).
    private static async Task<byte[]?> ReadBodyAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        var over = false;
        while ((read = await request.InputStream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxRequestBytes)
            {
                over = true;
                continue;
            }

            buffer.Write(chunk, 0, read);
        }

        return over ? null : buffer.ToArray();
    }

    private Answer? Authenticate(HttpListenerRequest request, byte[] body)
    {
        var authorization = request.Headers["Authorization"];
        if (authorization is null)
        {
            return Refuse(401, "Unauthorized", "The request has no Authorization header.");
        }

        if (authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return CheckToken(authorization["Bearer ".Length..]);
        }

        const string Scheme = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=";
        if (!authorization.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return Refuse(401, "Unauthorized", "The Authorization header is neither a bearer token nor 'HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=...'.");
        }

        if (accessKey is null)
        {
            return Refuse(401, "Unauthorized", "Access-key authentication is not enabled on this resource.");
        }

        var date = request.Headers["x-ms-date"];
        var hash = request.Headers["x-ms-content-sha256"];
        var host = request.Headers["Host"];
        if (date is null || hash is null || host is null)
        {
            return Refuse(401, "Unauthorized", "A signed request needs the x-ms-date, host and x-ms-content-sha256 headers.");
        }

        if (!DateTimeOffset.TryParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt) || (DateTimeOffset.UtcNow - signedAt).Duration() > TimeSpan.FromMinutes(15))
        {
            return Refuse(401, "Unauthorized", $"x-ms-date '{date}' is not an RFC 1123 date within 15 minutes of now.");
        }

        if (hash != Convert.ToBase64String(SHA256.HashData(body)))
        {
            return Refuse(401, "Unauthorized", "x-ms-content-sha256 is not the SHA-256 of the body.");
        }

        var stringToSign = request.HttpMethod + "\n" + request.RawUrl + "\n" + date + ";" + host + ";" + hash;
        var expected = HMACSHA256.HashData(accessKey, Encoding.UTF8.GetBytes(stringToSign));
        byte[] given;
        try
        {
            given = Convert.FromBase64String(authorization[Scheme.Length..]);
        }
        catch (FormatException)
        {
            return Refuse(401, "Unauthorized", "The signature is not Base64.");
        }

        return CryptographicOperations.FixedTimeEquals(expected, given) ? null : Refuse(401, "Unauthorized", "The HMAC signature does not match the request.");
    }

    private Answer? CheckToken(string bearer)
    {
        JsonElement claims;
        try
        {
            var parts = bearer.Split('.');
            var payload = parts.Length == 3 ? parts[1].Replace('-', '+').Replace('_', '/') : throw new FormatException();
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var json = JsonDocument.Parse(Convert.FromBase64String(payload));
            claims = json.RootElement.Clone();
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return Refuse(401, "Unauthorized", "The bearer token is not a JWT.");
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var audience = claims.TryGetProperty("aud", out var aud) && aud.ValueKind == JsonValueKind.String ? aud.GetString() : null;
        if (audience is null || !Audiences.Contains(audience, StringComparer.Ordinal))
        {
            return Refuse(401, "Unauthorized", $"Invalid audience '{audience}': the token is not for Azure Communication Services (https://communication.azure.com).");
        }

        if (!claims.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var expires) || expires <= now)
        {
            return Refuse(401, "Unauthorized", "The token is expired.");
        }

        return claims.TryGetProperty("nbf", out var nbf) && nbf.TryGetInt64(out var notBefore) && notBefore > now + 300
            ? Refuse(401, "Unauthorized", "The token is not yet valid.")
            : null;
    }

    private Answer Send(HttpListenerRequest request, byte[] body, DateTimeOffset received, ref string? operationId)
    {
        var version = request.QueryString["api-version"];
        if (version is null || !ApiVersions.Contains(version))
        {
            return Refuse(400, "InvalidApiVersion", $"api-version '{version}' is not one of {string.Join(", ", ApiVersions)}.");
        }

        if (operationId is not null && !Guid.TryParse(operationId, out _))
        {
            return Refuse(400, "InvalidOperationId", $"Operation-Id '{operationId}' is not a UUID.");
        }

        if (request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Refuse(415, "UnsupportedMediaType", $"Content-Type '{request.ContentType}' is not application/json.");
        }

        lock (gate)
        {
            // A repeated Operation-Id: the operation it names, and nothing sent again.
            if (operationId is not null && operations.TryGetValue(operationId, out var known))
            {
                known.Repeats++;
                return Accepted(known, version);
            }
        }

        if (Validate(body, version) is { } invalid)
        {
            return invalid;
        }

        (AcsFault Fault, int RetryAfter)? fault = null;
        lock (gate)
        {
            if (faults.Count > 0)
            {
                fault = faults.Dequeue();
            }
        }

        switch (fault?.Fault)
        {
            case AcsFault.Throttle:
                return Answer.Error(429, "TooManyRequests", "The sending limit of this resource is reached; try again later.", fault.Value.RetryAfter);
            case AcsFault.Unavailable:
                return Answer.Error(503, "ServiceUnavailable", "The service is temporarily unavailable.", fault.Value.RetryAfter);
            case AcsFault.Forbidden:
                return Answer.Error(403, "AuthorizationFailed", "The identity is not allowed to send email through this resource.");
        }

        var id = operationId ?? Guid.NewGuid().ToString();
        operationId = id;
        var operation = new Operation(id, fault?.Fault == AcsFault.DropEmail);
        lock (gate)
        {
            operations[id] = operation;
        }

        Sent.Enqueue(new AcsSentMessage(id, version, request.Headers["Authorization"]!.StartsWith("Bearer ", StringComparison.Ordinal) ? "entra" : "hmac", body, received));
        return fault?.Fault == AcsFault.LoseAcceptedAnswer ? new Answer(0, Abort: true) : Accepted(operation, version);
    }

    private Answer Accepted(Operation operation, string version) => Answer.Json(
        202,
        new Dictionary<string, object?> { ["id"] = operation.Id, ["status"] = operation.Status(advance: false, PollsBeforeDone).Status },
        retryAfter: PollRetryAfterSeconds,
        location: new Uri(BaseUrl, $"emails/operations/{operation.Id}?api-version={version}").ToString());

    private Answer Poll(HttpListenerRequest request, string id)
    {
        if (request.QueryString["api-version"] is not { } version || !ApiVersions.Contains(version))
        {
            return Refuse(400, "InvalidApiVersion", "api-version is missing or unknown.");
        }

        Operation? operation;
        lock (gate)
        {
            operations.TryGetValue(id, out operation);
        }

        if (operation is null)
        {
            return Answer.Error(404, "NotFound", $"No operation {id}.");
        }

        var (status, error) = operation.Status(advance: true, PollsBeforeDone);
        var value = new Dictionary<string, object?> { ["id"] = id, ["status"] = status };
        if (error is not null)
        {
            value["error"] = error;
        }

        return Answer.Json(200, value, retryAfter: status is "Running" ? PollRetryAfterSeconds : null);
    }

    private Answer? Validate(byte[] body, string version)
    {
        JsonElement root;
        try
        {
            using var json = JsonDocument.Parse(body);
            root = json.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            return Refuse(400, "BadRequest", $"The body is not JSON: {ex.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return Refuse(400, "BadRequest", "The body is not a JSON object.");
        }

        foreach (var property in root.EnumerateObject().Where(p => !MessageProperties.Contains(p.Name)))
        {
            return Refuse(400, "BadRequest", $"'{property.Name}' is not a property of EmailMessage.");
        }

        if (!root.TryGetProperty("senderAddress", out var sender) || sender.ValueKind != JsonValueKind.String || !sender.GetString()!.Contains('@', StringComparison.Ordinal))
        {
            return Refuse(400, "BadRequest", "senderAddress is required: an address of a domain connected to the resource.");
        }

        if (!root.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Object || !content.TryGetProperty("subject", out var subject) || subject.ValueKind != JsonValueKind.String)
        {
            return Refuse(400, "BadRequest", "content.subject is required.");
        }

        foreach (var property in content.EnumerateObject())
        {
            if (property.Name is not ("subject" or "plainText" or "html") || property.Value.ValueKind != JsonValueKind.String)
            {
                return Refuse(400, "BadRequest", $"content.{property.Name} is not a string property of EmailContent.");
            }
        }

        if (!root.TryGetProperty("recipients", out var recipients) || recipients.ValueKind != JsonValueKind.Object || !recipients.TryGetProperty("to", out _))
        {
            return Refuse(400, "BadRequest", "recipients.to is required.");
        }

        var count = 0;
        foreach (var list in recipients.EnumerateObject())
        {
            if (list.Name is not ("to" or "cc" or "bcc"))
            {
                return Refuse(400, "BadRequest", $"recipients.{list.Name} is not a property of EmailRecipients.");
            }

            if (CheckAddresses(list.Value, "recipients." + list.Name) is { } bad)
            {
                return bad;
            }

            count += list.Value.GetArrayLength();
        }

        if (count == 0)
        {
            return Refuse(400, "BadRequest", "The message has no recipient.");
        }

        if (count > MaxRecipients)
        {
            return Refuse(400, "TooManyRecipients", $"{count} recipients: at most {MaxRecipients} per message (To, Cc and Bcc together).");
        }

        if (root.TryGetProperty("replyTo", out var replyTo) && CheckAddresses(replyTo, "replyTo") is { } badReplyTo)
        {
            return badReplyTo;
        }

        var ignoreDuplicateContentIds = false;
        if (root.TryGetProperty("headers", out var headers))
        {
            if (headers.ValueKind != JsonValueKind.Object || headers.EnumerateObject().Any(h => h.Value.ValueKind != JsonValueKind.String || h.Name.Length == 0))
            {
                return Refuse(400, "BadRequest", "headers must be an object of string values.");
            }

            ignoreDuplicateContentIds = headers.EnumerateObject().Any(h => h.Name.Equals("x-ms-acsemail-ignore-duplicate-content-id", StringComparison.OrdinalIgnoreCase) && h.Value.GetString() == "true");
        }

        if (root.TryGetProperty("attachments", out var attachments))
        {
            var contentIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var attachment in attachments.EnumerateArray())
            {
                foreach (var property in attachment.EnumerateObject())
                {
                    var known = property.Name is "name" or "contentType" or "contentInBase64" || (property.Name == "contentId" && version == "2025-09-01");
                    if (!known)
                    {
                        return Refuse(400, "BadRequest", $"attachments[].{property.Name} is not a property of EmailAttachment in api-version {version}.");
                    }
                }

                if (!attachment.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0
                    || !attachment.TryGetProperty("contentType", out var type) || type.ValueKind != JsonValueKind.String
                    || !attachment.TryGetProperty("contentInBase64", out var data) || data.ValueKind != JsonValueKind.String)
                {
                    return Refuse(400, "BadRequest", "An attachment needs name, contentType and contentInBase64.");
                }

                try
                {
                    Convert.FromBase64String(data.GetString()!);
                }
                catch (FormatException)
                {
                    return Refuse(400, "BadRequest", $"contentInBase64 of '{name.GetString()}' is not Base64.");
                }

                if (attachment.TryGetProperty("contentId", out var contentId) && !contentIds.Add(contentId.GetString() ?? string.Empty) && !ignoreDuplicateContentIds)
                {
                    return Refuse(400, "BadRequest", $"The content id '{contentId.GetString()}' is given twice.");
                }
            }
        }

        return null;
    }

    private Answer? CheckAddresses(JsonElement list, string name)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            return Refuse(400, "BadRequest", $"{name} must be an array of EmailAddress.");
        }

        foreach (var address in list.EnumerateArray())
        {
            if (address.ValueKind != JsonValueKind.Object || !address.TryGetProperty("address", out var value) || value.ValueKind != JsonValueKind.String || !value.GetString()!.Contains('@', StringComparison.Ordinal)
                || address.EnumerateObject().Any(p => p.Name is not ("address" or "displayName")))
            {
                return Refuse(400, "BadRequest", $"{name} holds an entry that is not an EmailAddress {{address, displayName}}.");
            }
        }

        return null;
    }

    private Answer Refuse(int status, string code, string message)
    {
        Violations.Enqueue($"{status} {code}: {message}");
        return Answer.Error(status, code, message);
    }

    private sealed class Operation(string id, bool drop)
    {
        private readonly object gate = new();
        private int polls;

        public string Id { get; } = id;

        public int Repeats { get; set; }

        public (string Status, object? Error) Status(bool advance, int pollsBeforeDone = 0)
        {
            lock (gate)
            {
                if (advance)
                {
                    polls++;
                }

                // The 202 always says Running; then pollsBeforeDone polls more, and the final status.
                if (polls <= pollsBeforeDone)
                {
                    return ("Running", null);
                }

                return drop
                    ? ("Failed", new Dictionary<string, string> { ["code"] = "EmailDropped", ["message"] = "Email was dropped after several attempts to deliver." })
                    : ("Succeeded", null);
            }
        }
    }

    private sealed record Answer(int Status, byte[]? Body = null, string? ErrorCode = null, int? RetryAfter = null, string? Location = null, bool Abort = false)
    {
        public static Answer Json(int status, object value, int? retryAfter = null, string? location = null) => new(status, JsonSerializer.SerializeToUtf8Bytes(value), RetryAfter: retryAfter, Location: location);

        public static Answer Error(int status, string code, string message, int? retryAfter = null)
            => new(status, JsonSerializer.SerializeToUtf8Bytes(new { error = new { code, message } }), code, retryAfter);

        public async Task WriteAsync(HttpListenerResponse response)
        {
            if (Abort)
            {
                // The answer lost: promise a body, send a byte of it and close, so the client sees the answer end early.
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
                response.Headers["Operation-Location"] = Location;
            }

            if (ErrorCode is not null)
            {
                response.Headers["x-ms-error-code"] = ErrorCode;
            }

            response.ContentType = "application/json";
            response.ContentLength64 = Body?.Length ?? 0;
            if (Body is not null)
            {
                await response.OutputStream.WriteAsync(Body).ConfigureAwait(false);
            }

            response.Close();
        }
    }
}
