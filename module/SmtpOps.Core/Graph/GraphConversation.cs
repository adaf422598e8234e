using System;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Identity;

namespace SmtpOps.Graph;

/// <summary>
/// The HTTP conversation with Microsoft Graph for one <see cref="GraphTransport"/>: one HttpClient (kept-alive connections,
/// no redirects) and one token, each request bounded by <see cref="GraphTransportOptions.Timeout"/>; 429/5xx, a lost
/// connection and a timeout retried after Graph's Retry-After or the retry policy's back-off; a 401 tried once more with a
/// new token; any other refusal described as a <see cref="GraphTransportException"/> with Graph's error code and what to do.
/// Which requests make up a send (sendMail, or a draft with its attachments) is <see cref="GraphTransport"/>'s choice.
/// Thread-safe: concurrent sends share the client and the token.
/// </summary>
internal sealed class GraphConversation : IDisposable
{
    private readonly GraphTransportOptions options;
    private readonly HttpClient http;
    private readonly AccessTokenCache tokens;

    /// <summary>Starts a conversation; takes over the token cache (disposed with the conversation).</summary>
    public GraphConversation(GraphTransportOptions options, AccessTokenCache tokens)
    {
        this.options = options;
        this.tokens = tokens;
        // An answer is a small JSON document: a larger body (a hostile or broken endpoint) fails the request at 1 MiB
        // instead of being buffered whole (HttpClient's default allows 2 GB).
        http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = 1024 * 1024 };
    }

    /// <summary>Gets how many tokens were asked of the credential so far.</summary>
    public int TokenAcquisitions => tokens.Acquisitions;

    /// <summary>Gets Graph's request-id of an answer, for a support case.</summary>
    public static string? RequestIdOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("request-id", out var values) ? values.FirstOrDefault() : null;

    /// <summary>Closes the connection and lets go of the token.</summary>
    public void Dispose()
    {
        http.Dispose();
        tokens.Dispose();
    }

    // One request with its retries: 429/5xx/lost connection/timeout wait (Retry-After first) and go again, up to
    // Retry.MaxRetries times; a 401 gets one more try with a new token; anything else fails at once.
    public async Task<HttpResponseMessage> SendAsync(string operation, Func<HttpRequestMessage> build, bool authenticate, GraphSendRun run, CancellationToken cancellationToken)
        => (await SendAsync(operation, build, authenticate, run, doneDespiteNoAnswer: null, cancellationToken).ConfigureAwait(false))!;

    // The same, for a request that must not be done twice (an attachment POST): before a request that got no answer (timeout,
    // lost connection) is sent again, doneDespiteNoAnswer is asked whether it took effect anyway; if so, null comes back.
    public async Task<HttpResponseMessage?> SendAsync(string operation, Func<HttpRequestMessage> build, bool authenticate, GraphSendRun run, Func<CancellationToken, Task<bool>>? doneDespiteNoAnswer, CancellationToken cancellationToken)
    {
        var retries = 0;
        var renewedToken = false;
        while (true)
        {
            var (response, failure) = await SendOnceAsync(operation, build, authenticate, cancellationToken).ConfigureAwait(false);
            if (response is not null)
            {
                return response;
            }

            if (failure!.Kind == GraphFailureKind.Authentication && authenticate && !renewedToken)
            {
                // A token refused before its time (revoked, or clocks apart): one more try with a new one.
                renewedToken = true;
                tokens.Invalidate();
                run.Attempts++;
                continue;
            }

            retries++;
            await WaitToRetryAsync(failure, retries, run, cancellationToken).ConfigureAwait(false);
            if (failure.StatusCode is null && doneDespiteNoAnswer is not null && await doneDespiteNoAnswer(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    // Waits before retry number `retry` after a failure (Graph's Retry-After first, else the retry policy's back-off), or
    // throws the failure when it is not transient, the retries are used up or Graph asks for a longer wait than MaxRetryAfter.
    public async Task WaitToRetryAsync(GraphTransportException failure, int retry, GraphSendRun run, CancellationToken cancellationToken)
    {
        var delay = failure.RetryAfter ?? options.Retry.GetDelay(retry);
        if (!failure.IsTransient || retry > options.Retry.MaxRetries || delay > options.MaxRetryAfter)
        {
            throw failure;
        }

        run.Attempts++;
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    public async Task<(HttpResponseMessage? Response, GraphTransportException? Failure)> SendOnceAsync(string operation, Func<HttpRequestMessage> build, bool authenticate, CancellationToken cancellationToken)
    {
        using var request = build();
        if (authenticate)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(cancellationToken).ConfigureAwait(false));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, new GraphTransportException(GraphFailureKind.Timeout, $"Microsoft Graph did not answer {operation} within {options.Timeout.TotalSeconds:0.#} s.", innerException: ex));
        }
        catch (HttpRequestException ex)
        {
            return (null, new GraphTransportException(GraphFailureKind.Connection, $"Cannot reach Microsoft Graph at {options.Endpoint.GetLeftPart(UriPartial.Authority)} for {operation}: {ex.InnerException?.Message ?? ex.Message}", innerException: ex));
        }

        if (response.IsSuccessStatusCode)
        {
            return (response, null);
        }

        using (response)
        {
            return (null, await DescribeAsync(response, operation).ConfigureAwait(false));
        }
    }

    private async Task<GraphTransportException> DescribeAsync(HttpResponseMessage response, string operation)
    {
        var status = (int)response.StatusCode;
        string? code = null;
        string? text = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                text = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // not Graph's error shape: the status says enough
        }

        var retryAfter = response.Headers.RetryAfter is { } header
            ? header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null)
            : null;
        if (retryAfter < TimeSpan.Zero)
        {
            retryAfter = TimeSpan.Zero;
        }

        var kind = status switch
        {
            429 => GraphFailureKind.Throttled,
            401 => GraphFailureKind.Authentication,
            500 or 502 or 503 or 504 => GraphFailureKind.Transient,
            _ => GraphFailureKind.Permanent,
        };
        var guidance = GraphGuidance.For(status, code, options.Mailbox, tokens.Scope);
        var said = code is null ? $"{status} {response.ReasonPhrase}" : $"{status} {code}: {text}";
        var message = $"Microsoft Graph refused {operation} for mailbox '{options.Mailbox}': {said}" + (guidance is null ? string.Empty : " " + guidance);
        return new GraphTransportException(kind, message, status, code, guidance, retryAfter) { RequestId = RequestIdOf(response) };
    }
}
