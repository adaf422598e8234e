using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using MimeKit;
using SmtpOps.Identity;
using SmtpOps.Messages;
using SmtpOps.Smtp;

namespace SmtpOps.Acs;

/// <summary>
/// Sends mail through Azure Communication Services Email over its REST API (no SDK: Azure.Communication.Email is not
/// served here, and two requests and an HMAC need none). <c>POST {endpoint}/emails:send?api-version=...</c> with the
/// message as ACS's JSON (<see cref="AcsEmailPayload"/>) and a client-chosen <c>Operation-Id</c>, which every retry of the
/// request repeats: a send whose 202 was lost is sent again under the same id, and ACS answers with the operation it
/// already has instead of sending twice (https://learn.microsoft.com/en-us/rest/api/communication/dataplane/email/send:
/// "This is the ID provided by the customer to identify the long running operation"). The 202 Accepted is followed by
/// <c>GET {endpoint}/emails/operations/{id}</c> after each retry-after until the operation is Succeeded, Failed or Canceled
/// (https://learn.microsoft.com/en-us/rest/api/communication/dataplane/email/get-send-result). 429 and 5xx are retried
/// after ACS's Retry-After. Identity: a Microsoft Entra token (scope https://communication.azure.com/.default) from any
/// credential, or the resource's access key with HMAC-SHA256 signing. One HttpClient and one token for all messages.
/// Thread-safe.
/// </summary>
public sealed class AcsEmailTransport : IDisposable
{
    private readonly AcsEmailOptions options;
    private readonly AcsConversation conversation;
    private readonly Uri root;
    private bool disposed;

    /// <summary>Creates a transport; nothing is sent until the first message.</summary>
    /// <param name="options">The endpoint, identity and limits.</param>
    public AcsEmailTransport(AcsEmailOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Endpoint is not { IsAbsoluteUri: true } endpoint || (endpoint.Scheme != Uri.UriSchemeHttps && !endpoint.IsLoopback))
        {
            throw new ArgumentException($"The ACS endpoint must be an https URL such as https://contoso.communication.azure.com/, not '{options.Endpoint}'.", nameof(options));
        }

        if (options.ApiVersion is not (AcsEmailOptions.ApiVersion20230331 or AcsEmailOptions.ApiVersion20250901))
        {
            throw new ArgumentException($"The ACS API version must be {AcsEmailOptions.ApiVersion20250901} or {AcsEmailOptions.ApiVersion20230331}, not '{options.ApiVersion}'.", nameof(options));
        }

        var identities = (options.Credential is null ? 0 : 1) + (options.AccessToken is null ? 0 : 1) + (options.AccessKey is null ? 0 : 1);
        if (identities != 1)
        {
            throw new ArgumentException("Give exactly one of Credential, AccessToken or AccessKey for Azure Communication Services.", nameof(options));
        }

        var signer = options.AccessKey is { } key ? new AcsRequestSigner(key) : null;
        var credential = options.Credential ?? (options.AccessToken is { } token ? new AccessTokenCredential(token) : null);
        conversation = new AcsConversation(options, credential is null ? null : new AccessTokenCache(credential, options.Scope, options.TokenRefreshMargin, "Azure Communication Services", "https://communication.azure.com", (message, guidance, cause) => new AcsTransportException(AcsFailureKind.Authentication, message, guidance: guidance, innerException: cause)), signer);
        root = new Uri(endpoint.GetLeftPart(UriPartial.Authority) + "/");
        Endpoint = root;
    }

    /// <summary>Gets the resource's endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>Gets how many tokens were asked of the credential so far (0 with an access key).</summary>
    public int TokenAcquisitions => conversation.TokenAcquisitions;

    /// <summary>A new Operation-Id: a random UUID.</summary>
    /// <returns>The id.</returns>
    public static string NewOperationId() => Guid.NewGuid().ToString();

    /// <summary>
    /// An Operation-Id that is the same whenever the same words are given (a name-based UUID from SHA-256), so that a
    /// sender who sends one message again after a failure that may have sent it (the relay's redelivery of one queue
    /// message) repeats the id, and ACS does not send it twice.
    /// </summary>
    /// <param name="words">What identifies the one send (the queue message id, the sender, the idempotency key).</param>
    /// <returns>The id.</returns>
    public static string OperationIdFor(params string[] words)
    {
        using var sha = System.Security.Cryptography.SHA256.Create();
        var hash = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes("smtpops-acs-operation\n" + string.Join("\n", words ?? Array.Empty<string>())));
        var bytes = new byte[16];
        Array.Copy(hash, bytes, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version 5-style: name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        var hex = string.Concat(bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        return $"{hex.Substring(0, 8)}-{hex.Substring(8, 4)}-{hex.Substring(12, 4)}-{hex.Substring(16, 4)}-{hex.Substring(20, 12)}";
    }

    /// <summary>Validates, composes and sends one message. Bad input fails with <see cref="MessageValidationException"/>; delivery failures throw <see cref="AcsTransportException"/>.</summary>
    /// <param name="definition">The message.</param>
    /// <param name="operationId">The Operation-Id to send under; <c>null</c>: a new one.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>ACS's answer.</returns>
    public async Task<AcsSendResult> SendAsync(MailMessageDefinition definition, string? operationId = null, CancellationToken cancellationToken = default)
    {
        using var message = MessageComposer.Compose(definition);
        return await SendCoreAsync(message, operationId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a message prepared by <see cref="MessageComposer.Prepare"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="operationId">The Operation-Id to send under; <c>null</c>: a new one.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>ACS's answer.</returns>
    public Task<AcsSendResult> SendAsync(ComposedMessage message, string? operationId = null, CancellationToken cancellationToken = default)
        => SendCoreAsync((message ?? throw new ArgumentNullException(nameof(message))).Message, operationId, cancellationToken);

    /// <summary>Sends an already composed message (the relay's path).</summary>
    /// <param name="message">The message.</param>
    /// <param name="operationId">The Operation-Id to send under; <c>null</c>: a new one.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>ACS's answer.</returns>
    public Task<AcsSendResult> SendAsync(MimeMessage message, string? operationId = null, CancellationToken cancellationToken = default)
        => SendCoreAsync(message ?? throw new ArgumentNullException(nameof(message)), operationId, cancellationToken);

    /// <summary>Closes the connection.</summary>
    public void Dispose()
    {
        disposed = true;
        conversation.Dispose();
    }

    private async Task<AcsSendResult> SendCoreAsync(MimeMessage message, string? operationId, CancellationToken cancellationToken)
    {
        if (disposed)
        {
            throw new ObjectDisposedException(nameof(AcsEmailTransport));
        }

        if (operationId is not null && !Guid.TryParse(operationId, out _))
        {
            throw new ArgumentException($"The Operation-Id must be a UUID, not '{operationId}'.", nameof(operationId));
        }

        var run = new AcsSendRun(Stopwatch.StartNew());
        var body = AcsEmailPayload.Build(message, options, cancellationToken);
        var id = operationId ?? NewOperationId();
        string? status = null;
        try
        {
            var send = new Uri(root, "./emails:send?api-version=" + options.ApiVersion);
            TimeSpan? pollAfter;
            using (var accepted = await conversation.SendAsync("the send", HttpMethod.Post, send, body, request => request.Headers.TryAddWithoutValidation("Operation-Id", id), run, cancellationToken).ConfigureAwait(false))
            {
                (status, var error) = await ReadOperationAsync(accepted, id).ConfigureAwait(false);
                pollAfter = AcsConversation.RetryAfterOf(accepted);
                ThrowIfFailed(status, error, id);
            }

            var poll = new Uri(root, "emails/operations/" + Uri.EscapeDataString(id) + "?api-version=" + options.ApiVersion);
            while (!IsTerminal(status) && run.Clock.Elapsed < options.MaxPollTime)
            {
                var wait = pollAfter ?? options.PollInterval;
                var left = options.MaxPollTime - run.Clock.Elapsed;
                await Task.Delay(wait < left ? wait : left, cancellationToken).ConfigureAwait(false);
                run.Polls++;
                var before = run.Attempts;
                using var answer = await conversation.SendAsync("the status of the send", HttpMethod.Get, poll, null, null, run, cancellationToken).ConfigureAwait(false);
                run.Attempts = before; // polls and their retries are counted apart from the send's attempts
                (status, var error) = await ReadOperationAsync(answer, id).ConfigureAwait(false);
                pollAfter = AcsConversation.RetryAfterOf(answer);
                ThrowIfFailed(status, error, id);
            }

            var recipients = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes)
                .Select(m => new SmtpRecipientResult(m.Address, true, 202, $"Accepted by Azure Communication Services, operation {id} {status}"))
                .ToList();
            return new AcsSendResult(message.MessageId ?? string.Empty, message.Subject ?? string.Empty, message.From.Mailboxes.First().Address, root, id, status!, recipients, run.Clock.Elapsed, run.Attempts, run.Polls);
        }
        catch (AcsTransportException failure)
        {
            failure.OperationId = id;
            failure.OperationStatus ??= status;
            failure.Attempts = run.Attempts;
            failure.Elapsed = run.Clock.Elapsed;
            throw;
        }
    }

    private static bool IsTerminal(string? status) => status is "Succeeded" or "Failed" or "Canceled";

    private static void ThrowIfFailed(string? status, (string? Code, string? Message) error, string id)
    {
        if (status is "Failed" or "Canceled")
        {
            var failure = new AcsTransportException(
                AcsFailureKind.OperationFailed,
                $"Azure Communication Services took the message but the send operation {id} ended {status}" + (error.Code is null ? "." : $": {error.Code}" + (error.Message is null ? "." : $": {error.Message}")),
                errorCode: error.Code,
                guidance: "ACS did not send the message; its error code says why (e.g. EmailDropped). Look the operation id up in the resource's email logs.");
            failure.OperationStatus = status;
            throw failure;
        }
    }

    // The EmailSendResult of a 202 or a poll: {"id", "status", "error": {"code", "message"}}.
    private static async Task<(string? Status, (string? Code, string? Message) Error)> ReadOperationAsync(HttpResponseMessage response, string id)
    {
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        try
        {
            using var json = JsonDocument.Parse(text);
            var rootElement = json.RootElement;
            var status = rootElement.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            string? code = null;
            string? message = null;
            if (rootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            }

            if (status is null)
            {
                throw new AcsTransportException(AcsFailureKind.Transient, $"Azure Communication Services answered for operation {id} without a status.", (int)response.StatusCode);
            }

            return (status, (code, message));
        }
        catch (JsonException ex)
        {
            throw new AcsTransportException(AcsFailureKind.Transient, $"Azure Communication Services answered for operation {id} with something that is not JSON.", (int)response.StatusCode, innerException: ex);
        }
    }
}
