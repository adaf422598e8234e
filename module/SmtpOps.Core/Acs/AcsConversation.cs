using System;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Identity;

namespace SmtpOps.Acs;

/// <summary>
/// The HTTP conversation with one Communication Services resource for <see cref="AcsEmailTransport"/>: one HttpClient
/// (kept-alive connections, no redirects: a credential never follows one elsewhere), each request signed with the access
/// key or carrying the Entra token, bounded by <see cref="AcsEmailOptions.Timeout"/>; 429/5xx, a lost connection and a
/// timeout retried after ACS's Retry-After or the retry policy's back-off (the caller rebuilds the same request, with the
/// same Operation-Id); a 401 tried once more with a new token; any other refusal described as an
/// <see cref="AcsTransportException"/> with ACS's error code and what to do. Thread-safe.
/// </summary>
internal sealed class AcsConversation : IDisposable
{
    private readonly AcsEmailOptions options;
    private readonly HttpClient http;
    private readonly AccessTokenCache? tokens;
    private readonly AcsRequestSigner? signer;

    public AcsConversation(AcsEmailOptions options, AccessTokenCache? tokens, AcsRequestSigner? signer)
    {
        this.options = options;
        this.tokens = tokens;
        this.signer = signer;
        // An answer is a small JSON document: a larger body (a hostile or broken endpoint) fails the request at 1 MiB
        // instead of being buffered whole (HttpClient's default allows 2 GB).
        http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = 1024 * 1024 };
    }

    public int TokenAcquisitions => tokens?.Acquisitions ?? 0;

    public void Dispose()
    {
        http.Dispose();
        tokens?.Dispose();
    }

    /// <summary>One request with its retries; <paramref name="body"/> is signed (and sent) as it is, every attempt.</summary>
    public async Task<HttpResponseMessage> SendAsync(string operation, HttpMethod method, Uri uri, byte[]? body, Action<HttpRequestMessage>? decorate, AcsSendRun run, CancellationToken cancellationToken)
    {
        var retries = 0;
        var renewedToken = false;
        while (true)
        {
            var (response, failure) = await SendOnceAsync(operation, method, uri, body, decorate, cancellationToken).ConfigureAwait(false);
            if (response is not null)
            {
                return response;
            }

            if (failure!.Kind == AcsFailureKind.Authentication && tokens is not null && !renewedToken)
            {
                // A token refused before its time (revoked, or clocks apart): one more try with a new one.
                renewedToken = true;
                tokens.Invalidate();
                run.Attempts++;
                continue;
            }

            retries++;
            var delay = failure.RetryAfter ?? options.Retry.GetDelay(retries);
            if (!failure.IsTransient || retries > options.Retry.MaxRetries || delay > options.MaxRetryAfter)
            {
                throw failure;
            }

            run.Attempts++;
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(HttpResponseMessage? Response, AcsTransportException? Failure)> SendOnceAsync(string operation, HttpMethod method, Uri uri, byte[]? body, Action<HttpRequestMessage>? decorate, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        decorate?.Invoke(request);
        if (signer is not null)
        {
            signer.Sign(request, body ?? Array.Empty<byte>(), body?.Length ?? 0, DateTimeOffset.UtcNow);
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens!.GetAsync(cancellationToken).ConfigureAwait(false));
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
            return (null, new AcsTransportException(AcsFailureKind.Timeout, $"Azure Communication Services did not answer {operation} within {options.Timeout.TotalSeconds:0.#} s.", innerException: ex));
        }
        catch (HttpRequestException ex)
        {
            return (null, new AcsTransportException(AcsFailureKind.Connection, $"Cannot reach Azure Communication Services at {uri.GetLeftPart(UriPartial.Authority)} for {operation}: {ex.InnerException?.Message ?? ex.Message}", innerException: ex));
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

    /// <summary>The Retry-After of an answer (seconds or a date), never negative.</summary>
    public static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter is { } header
            ? header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null)
            : null;
        return retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter;
    }

    // ACS errors: {"error": {"code", "message"}} and the same code in x-ms-error-code (the ErrorResponse of common-types).
    private async Task<AcsTransportException> DescribeAsync(HttpResponseMessage response, string operation)
    {
        var status = (int)response.StatusCode;
        var code = response.Headers.TryGetValues("x-ms-error-code", out var codes) ? codes.FirstOrDefault() : null;
        string? text = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : code;
                text = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // not ACS's error shape: the status says enough
        }

        var kind = status switch
        {
            429 => AcsFailureKind.Throttled,
            401 => AcsFailureKind.Authentication,
            500 or 502 or 503 or 504 => AcsFailureKind.Transient,
            _ => AcsFailureKind.Permanent,
        };
        var guidance = Guidance(status);
        var said = code is null ? $"{status} {response.ReasonPhrase}" : $"{status} {code}" + (text is null ? string.Empty : ": " + text);
        var message = $"Azure Communication Services refused {operation}: {said}" + (guidance is null ? string.Empty : " " + guidance);
        return new AcsTransportException(kind, message, status, code, guidance, RetryAfterOf(response));
    }

    private string? Guidance(int status) => status switch
    {
        401 when signer is not null => "The access-key signature was refused: check the key (the resource's primary or secondary key, not the connection string) and this machine's clock (x-ms-date).",
        401 => $"The token was refused: it must be a Microsoft Entra token for Azure Communication Services (scope {options.Scope}, aud https://communication.azure.com) and not expired.",
        403 => "The identity may not send through this resource: give it a role on the Communication Services resource that allows sending (see the README's ACS section), and make sure the sender's domain is connected to it.",
        404 => "Check the endpoint: it must be the Communication Services resource's (https://<name>.communication.azure.com), not the Email Communication Service's.",
        413 => "The request is over ACS's 10 MB limit.",
        _ => null,
    };
}
