using System;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// The managed identity endpoint of App Service and Azure Functions, on 127.0.0.1: a process started with
/// IDENTITY_ENDPOINT and IDENTITY_HEADER pointing here gets tokens through Azure.Identity's own
/// ManagedIdentityCredential (GET ?api-version=2019-08-01&amp;resource=...&amp;client_id=..., header X-IDENTITY-HEADER).
/// The tokens are unsigned JWTs for the requested resource, which Azurite in OAuth mode accepts. Records what was asked.
/// </summary>
public sealed class ManagedIdentityEndpoint : IAsyncDisposable
{
    private readonly LoopbackHttpListener listener;

    private ManagedIdentityEndpoint()
    {
        listener = LoopbackHttpListener.Start(AnswerAsync, pathPrefix: "/msi/");
        Endpoint = new Uri($"http://127.0.0.1:{listener.Port}/msi/token");
    }

    /// <summary>Gets the value for IDENTITY_ENDPOINT.</summary>
    public Uri Endpoint { get; }

    /// <summary>Gets the value for IDENTITY_HEADER (a request without it is refused, as the platform does).</summary>
    public string Header { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Gets the resource and client id of every token request, in order.</summary>
    public ConcurrentQueue<(string Resource, string? ClientId)> Requests { get; } = new();

    /// <summary>Starts the endpoint on a free port.</summary>
    public static ManagedIdentityEndpoint Start() => new();

    /// <summary>An unsigned JWT for Azure Storage as Azurite's OAuth mode checks it (issuer, audience, nbf, exp).</summary>
    public static string StorageToken(TimeSpan lifetime, string audience = "https://storage.azure.com")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = JsonSerializer.Serialize(new { iss = $"https://sts.windows.net/{Guid.NewGuid()}/", aud = audience, nbf = now - 60, iat = now - 60, exp = now + (long)lifetime.TotalSeconds, oid = Guid.NewGuid() });
        return $"{Base64Url("{\"typ\":\"JWT\",\"alg\":\"RS256\"}")}.{Base64Url(payload)}.{Base64Url("unsigned")}";
    }

    public ValueTask DisposeAsync() => listener.DisposeAsync();

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var resource = request.QueryString["resource"];
        if (request.Headers["X-IDENTITY-HEADER"] != Header || string.IsNullOrEmpty(resource))
        {
            context.Response.StatusCode = 400;
            context.Response.Close();
            return;
        }

        Requests.Enqueue((resource, request.QueryString["client_id"]));
        var audience = resource.TrimEnd('/').Replace("/.default", string.Empty, StringComparison.Ordinal);
        var expiresOn = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            access_token = StorageToken(TimeSpan.FromHours(1), audience),
            expires_on = expiresOn.ToString(System.Globalization.CultureInfo.InvariantCulture),
            resource,
            token_type = "Bearer",
            client_id = request.QueryString["client_id"] ?? Guid.Empty.ToString(),
        });
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        context.Response.Close();
    }
}
