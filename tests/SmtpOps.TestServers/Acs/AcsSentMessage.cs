using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace SmtpOps.TestServers.Acs;

/// <summary>One message the ACS endpoint accepted and sent: the request body as received, with its parts read out for a test to compare.</summary>
public sealed class AcsSentMessage
{
    public AcsSentMessage(string operationId, string apiVersion, string authentication, byte[] body, DateTimeOffset receivedAt)
    {
        OperationId = operationId;
        ApiVersion = apiVersion;
        Authentication = authentication;
        Body = body;
        ReceivedAt = receivedAt;
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        SenderAddress = root.GetProperty("senderAddress").GetString()!;
        var content = root.GetProperty("content");
        Subject = content.GetProperty("subject").GetString()!;
        PlainText = content.TryGetProperty("plainText", out var text) ? text.GetString() : null;
        Html = content.TryGetProperty("html", out var html) ? html.GetString() : null;
        var recipients = root.GetProperty("recipients");
        To = Addresses(recipients, "to");
        Cc = Addresses(recipients, "cc");
        Bcc = Addresses(recipients, "bcc");
        ReplyTo = Addresses(root, "replyTo");
        Headers = root.TryGetProperty("headers", out var headers)
            ? headers.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        Attachments = root.TryGetProperty("attachments", out var attachments)
            ? attachments.EnumerateArray().Select(a => new AcsSentAttachment(
                a.GetProperty("name").GetString()!,
                a.GetProperty("contentType").GetString()!,
                a.TryGetProperty("contentId", out var cid) ? cid.GetString() : null,
                Convert.FromBase64String(a.GetProperty("contentInBase64").GetString()!))).ToList()
            : [];
        UserEngagementTrackingDisabled = root.TryGetProperty("userEngagementTrackingDisabled", out var tracking) ? tracking.GetBoolean() : null;
    }

    public string OperationId { get; }

    public string ApiVersion { get; }

    /// <summary>Gets how the request was authenticated: "hmac" (the access key) or "entra" (a bearer token).</summary>
    public string Authentication { get; }

    public byte[] Body { get; }

    public DateTimeOffset ReceivedAt { get; }

    public string SenderAddress { get; }

    public string Subject { get; }

    public string? PlainText { get; }

    public string? Html { get; }

    public IReadOnlyList<(string Address, string? DisplayName)> To { get; }

    public IReadOnlyList<(string Address, string? DisplayName)> Cc { get; }

    public IReadOnlyList<(string Address, string? DisplayName)> Bcc { get; }

    public IReadOnlyList<(string Address, string? DisplayName)> ReplyTo { get; }

    public IReadOnlyDictionary<string, string> Headers { get; }

    public IReadOnlyList<AcsSentAttachment> Attachments { get; }

    public bool? UserEngagementTrackingDisabled { get; }

    private static List<(string, string?)> Addresses(JsonElement parent, string name) => parent.TryGetProperty(name, out var list)
        ? list.EnumerateArray().Select(a => (a.GetProperty("address").GetString()!, a.TryGetProperty("displayName", out var d) ? d.GetString() : null)).ToList()
        : [];
}

/// <summary>One attachment of a sent message: its bytes decoded from contentInBase64.</summary>
public sealed record AcsSentAttachment(string Name, string ContentType, string? ContentId, byte[] Content);

/// <summary>One request the ACS endpoint answered.</summary>
public sealed record AcsRequestRecord(DateTimeOffset ReceivedAt, string Method, string Path, int Status, string? ErrorCode, string? OperationId);
