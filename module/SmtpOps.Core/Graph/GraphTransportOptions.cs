using System;
using Azure.Core;
using SmtpOps.Smtp;

namespace SmtpOps.Graph;

/// <summary>Where and as whom <see cref="GraphTransport"/> sends, and how patiently.</summary>
public sealed record GraphTransportOptions
{
    /// <summary>The public Microsoft Graph endpoint.</summary>
    public static readonly Uri PublicCloud = new("https://graph.microsoft.com/");

    /// <summary>Gets the mailbox to send as: its user principal name or object id (the {id} of /users/{id}/sendMail).</summary>
    public string Mailbox { get; init; } = string.Empty;

    /// <summary>
    /// Gets the Graph endpoint (the API is under its v1.0/). A national cloud has its own, e.g. https://graph.microsoft.us/
    /// or https://microsoftgraph.chinacloudapi.cn/. HTTPS is required except on a loopback address (a local test endpoint).
    /// </summary>
    public Uri Endpoint { get; init; } = PublicCloud;

    /// <summary>
    /// Gets where tokens come from (managed identity, client secret, certificate: any Azure.Identity credential). Tokens
    /// are asked for <see cref="EffectiveScope"/>, cached, and renewed <see cref="TokenRefreshMargin"/> before they expire.
    /// Either this or <see cref="AccessToken"/>.
    /// </summary>
    public TokenCredential? Credential { get; init; }

    /// <summary>Gets a token the caller already has for Graph (e.g. Get-AzAccessToken -ResourceUrl https://graph.microsoft.com); used as it is, never renewed.</summary>
    public string? AccessToken { get; init; }

    /// <summary>Gets the token scope; <c>null</c>: the endpoint's origin + "/.default" (https://graph.microsoft.com/.default for the public cloud and for a loopback test endpoint).</summary>
    public string? Scope { get; init; }

    /// <summary>Gets how long before its expiry a cached token is renewed.</summary>
    public TimeSpan TokenRefreshMargin { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets how many times one throttled (429) or failed (5xx, lost connection, timeout) request is retried.</summary>
    public RetryPolicy Retry { get; init; } = new() { MaxRetries = 3 };

    /// <summary>
    /// Gets the longest Retry-After that is waited out here. Graph asking for more fails the message as throttled
    /// (transient), so that a queue can come back to it later instead of holding a worker.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets how long one HTTP request may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Gets the largest sendMail request body (the Base64 MIME) sent in one request. Graph takes at most 4 MB a request;
    /// the default stays under it whether that means 4,000,000 or 4,194,304 bytes. A larger message goes as a draft with
    /// upload sessions.
    /// </summary>
    public int SendMailLimit { get; init; } = 4_000_000;

    /// <summary>
    /// Gets the size from which an attachment of a large message goes through an upload session (Graph: "between 3 MB and
    /// 150 MB"); smaller ones stay in the draft's MIME.
    /// </summary>
    public long UploadSessionMinimum { get; init; } = 3 * 1024 * 1024;

    /// <summary>
    /// Gets the bytes sent in one upload PUT: at most 4 MB (Graph's limit). The default, 3,932,160 bytes, is 12 x 320 KiB,
    /// under 4 MB in either reading and a multiple of 320 KiB as OneDrive-style upload sessions want.
    /// </summary>
    public int UploadChunkSize { get; init; } = 12 * 320 * 1024;

    /// <summary>Gets the scope tokens are asked for.</summary>
    public string EffectiveScope => Scope ?? (Endpoint.IsLoopback ? "https://graph.microsoft.com/.default" : $"{Endpoint.GetLeftPart(UriPartial.Authority)}/.default");
}
