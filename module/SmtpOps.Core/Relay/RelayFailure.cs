using System;
using System.Collections.Generic;

namespace SmtpOps.Relay;

/// <summary>
/// A message the relay did not send: a dead-letter record from <c>&lt;queue&gt;-failed</c>, or a message the
/// platform moved to <c>&lt;queue&gt;-poison</c> (<see cref="Kind"/> <see cref="RelayFailureKind.Poison"/>, with what its text tells).
/// Read by <see cref="RelayQueueInspector.GetFailuresAsync"/>; re-sent or removed through the same inspector.
/// </summary>
public sealed class RelayFailure
{
    /// <summary>Gets the relay queue the message was meant for.</summary>
    public string Queue { get; init; } = string.Empty;

    /// <summary>Gets the kind (<see cref="RelayFailureKind"/>): Envelope, Policy, Message, Smtp, Graph, Acs, GaveUp (from the relay's record), Poison or Unreadable.</summary>
    public string Kind { get; init; } = string.Empty;

    /// <summary>Gets the reason the relay gave, e.g. "550 5.1.1 ..."; for a poison message, what is known.</summary>
    public string Reason { get; init; } = string.Empty;

    /// <summary>Gets the SMTP status code, when the smarthost answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Gets the Azure Communication Services operation id of the send (Relay:Transport Acs), when it got that far.</summary>
    public string? OperationId { get; init; }

    /// <summary>Gets the service's error code (ACS's, e.g. EmailDropped), when it gave one.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Gets how many times the queue delivered the message.</summary>
    public long Attempts { get; init; }

    /// <summary>Gets when the relay gave up (for a poison message: when the platform moved it).</summary>
    public DateTimeOffset FailedAt { get; init; }

    /// <summary>Gets the Message-ID, when known.</summary>
    public string? MessageId { get; init; }

    /// <summary>Gets the idempotency key, when known.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Gets the envelope id (the folder of its claim-check blobs), when known.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>Gets the sender, when known.</summary>
    public string? From { get; init; }

    /// <summary>Gets the subject, when known.</summary>
    public string? Subject { get; init; }

    /// <summary>Gets who enqueued it, when known.</summary>
    public string? Enqueuer { get; init; }

    /// <summary>Gets the id the message had on the relay queue, when known.</summary>
    public string? OriginalQueueMessageId { get; init; }

    /// <summary>Gets the queue holding this record: <c>&lt;queue&gt;-failed</c> or <c>&lt;queue&gt;-poison</c>.</summary>
    public string RecordQueue { get; init; } = string.Empty;

    /// <summary>Gets the id of this record in <see cref="RecordQueue"/>.</summary>
    public string RecordId { get; init; } = string.Empty;

    /// <summary>Gets when Storage will delete the record: <see cref="DateTimeOffset.MaxValue"/> (or a date in year 9999) means never.</summary>
    public DateTimeOffset? ExpiresOn { get; init; }

    /// <summary>Gets whether the record never expires (dead-letter records: yes; poison messages: 7 days by default).</summary>
    public bool NeverExpires => ExpiresOn is { } expires && expires.Year >= 9999;

    /// <summary>Gets the claim-check blobs the original message points at (attachments, a whole envelope) and the blob of a large original.</summary>
    public IReadOnlyList<string> Blobs { get; init; } = Array.Empty<string>();

    /// <summary>Gets the original queue message text, when the record holds it (see <see cref="OriginalMessageBlob"/>).</summary>
    public string? OriginalMessage { get; init; }

    /// <summary>Gets the blob holding the original message text when it was too large for the record.</summary>
    public string? OriginalMessageBlob { get; init; }
}
