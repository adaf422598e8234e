using System;
using Azure.Core;
using SmtpOps.Smtp;

namespace SmtpOps.Acs;

/// <summary>Where and with which identity <see cref="AcsEmailTransport"/> sends, within which limits, and how patiently.</summary>
public sealed record AcsEmailOptions
{
    /// <summary>The GA API version with inline attachments (contentId): the default.</summary>
    public const string ApiVersion20250901 = "2025-09-01";

    /// <summary>The first GA API version: no contentId on attachments, so no inline images.</summary>
    public const string ApiVersion20230331 = "2023-03-31";

    /// <summary>The scope of a Microsoft Entra token for Azure Communication Services.</summary>
    public const string DefaultScope = "https://communication.azure.com/.default";

    /// <summary>
    /// Gets the Communication Services resource's endpoint, e.g. https://contoso.communication.azure.com/ (the Endpoint
    /// of its connection string). HTTPS is required except on a loopback address (a local test endpoint).
    /// </summary>
    public Uri? Endpoint { get; init; }

    /// <summary>
    /// Gets where Microsoft Entra tokens come from (managed identity, client secret, certificate: any Azure.Identity
    /// credential); asked for <see cref="Scope"/>, cached and renewed <see cref="TokenRefreshMargin"/> before expiry.
    /// One of this, <see cref="AccessToken"/> or <see cref="AccessKey"/>.
    /// </summary>
    public TokenCredential? Credential { get; init; }

    /// <summary>Gets a token the caller already has (Get-AzAccessToken -ResourceUrl https://communication.azure.com); used as it is, never renewed.</summary>
    public string? AccessToken { get; init; }

    /// <summary>
    /// Gets the resource's access key (Base64, as the portal and az communication list-key show it): each request is
    /// signed with HMAC-SHA256 as ACS documents it. The key never leaves this process and is never logged.
    /// </summary>
    public string? AccessKey { get; init; }

    /// <summary>Gets the token scope; https://communication.azure.com/.default by default.</summary>
    public string Scope { get; init; } = DefaultScope;

    /// <summary>Gets the API version: 2025-09-01 (inline images) by default, or 2023-03-31.</summary>
    public string ApiVersion { get; init; } = ApiVersion20250901;

    /// <summary>Gets how long before its expiry a cached token is renewed.</summary>
    public TimeSpan TokenRefreshMargin { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets how many times one throttled (429) or failed (5xx, lost connection, timeout) request is retried.</summary>
    public RetryPolicy Retry { get; init; } = new() { MaxRetries = 3 };

    /// <summary>Gets the longest Retry-After of a 429 or 5xx that is waited out here; a longer one fails the send as throttled (transient).</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets how long one HTTP request may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Gets the wait between two polls of the operation when ACS gives no retry-after.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets how long the operation is polled for its final status. An operation still NotStarted or Running after it is
    /// reported as it stands (the message is accepted; ACS goes on with it, under the same operation id).
    /// </summary>
    public TimeSpan MaxPollTime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Gets the largest request body sent (the JSON with every attachment in Base64). ACS: "we limit the total size of an
    /// email request (which includes attachments) to 10MB"; the default stays under it whether that means 10,000,000 or
    /// 10,485,760 bytes. A larger message is refused before anything is sent.
    /// </summary>
    public int MaxRequestBytes { get; init; } = 10_000_000;

    /// <summary>Gets the most recipients (To, Cc and Bcc together) of one message: 50, ACS's limit.</summary>
    public int MaxRecipients { get; init; } = 50;

    /// <summary>Gets whether to ask ACS not to track opens and clicks for these messages (userEngagementTrackingDisabled); <c>null</c>: the resource's setting.</summary>
    public bool? UserEngagementTrackingDisabled { get; init; }
}
