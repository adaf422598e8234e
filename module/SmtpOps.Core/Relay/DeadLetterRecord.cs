using System;

namespace SmtpOps.Relay;

/// <summary>
/// What the relay writes to <c>&lt;queue&gt;-failed</c> for a message it will not send: the
/// reason, the SMTP code, the attempts and the original message, so an operator can inspect
/// it and re-enqueue the original text once the cause is fixed. It does not expire, unlike the
/// platform's poison copies.
/// </summary>
public sealed class DeadLetterRecord
{
    /// <summary>Gets the record's schema version.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>Gets the reason, e.g. "550 5.7.1 ..." or "the sender x is not in the allow-list".</summary>
    public string Reason { get; init; } = string.Empty;

    /// <summary>Gets the kind of failure: Envelope, Policy, Message, Smtp or GaveUp.</summary>
    public string Kind { get; init; } = string.Empty;

    /// <summary>Gets the SMTP status code, when the server answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Gets how many times the queue delivered the message.</summary>
    public long Attempts { get; init; }

    /// <summary>Gets when the relay gave up.</summary>
    public DateTimeOffset FailedAt { get; init; }

    /// <summary>Gets the queue message id.</summary>
    public string QueueMessageId { get; init; } = string.Empty;

    /// <summary>Gets the envelope id, when the message was an envelope.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>Gets the idempotency key, when known.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Gets the Message-ID, when known.</summary>
    public string? MessageId { get; init; }

    /// <summary>Gets the enqueuer, when known.</summary>
    public string? Enqueuer { get; init; }

    /// <summary>Gets the sender, when known.</summary>
    public string? From { get; init; }

    /// <summary>Gets the subject, when known.</summary>
    public string? Subject { get; init; }

    /// <summary>Gets the original queue message text (absent when it was too large to repeat here; see <see cref="OriginalMessageBlob"/>).</summary>
    public string? OriginalMessage { get; init; }

    /// <summary>Gets the blob holding the original message text when it was too large for the record.</summary>
    public string? OriginalMessageBlob { get; init; }

    /// <summary>Gets the Azure Communication Services operation id (the Operation-Id the send ran under), with Relay:Transport Acs.</summary>
    public string? OperationId { get; init; }

    /// <summary>Gets the service's error code (ACS's, e.g. EmailDropped or TooManyRecipients), when it gave one.</summary>
    public string? ErrorCode { get; init; }
}
