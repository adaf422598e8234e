using System;

namespace SmtpOps.Relay.Processing;

/// <summary>What became of one queue message, for the trigger to act on and to log.</summary>
public sealed record RelayOutcome
{
    /// <summary>Gets the outcome.</summary>
    public RelayOutcomeKind Kind { get; init; }

    /// <summary>Gets the envelope id, when the message was an envelope.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>Gets the Message-ID, when known.</summary>
    public string? MessageId { get; init; }

    /// <summary>Gets the smarthost's response (Sent) or the failure reason (Retry, DeadLettered).</summary>
    public string? Detail { get; init; }

    /// <summary>Gets the dead-letter record's kind (Envelope, Policy, Message, Smtp, GaveUp), DeadLettered only.</summary>
    public string? DeadLetterKind { get; init; }

    /// <summary>Gets the retry's reason class (InFlight, Throttled, or the failure's <see cref="SmtpOps.Smtp.SmtpFailureKind"/>), Retry only: low-cardinality, unlike <see cref="Detail"/>.</summary>
    public string? RetryReason { get; init; }

    /// <summary>Gets the smarthost's SMTP reply code: 250 when Sent, the failure's code when the server answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Gets when the message was enqueued (the envelope's creation time), when the envelope could be read.</summary>
    public DateTimeOffset? EnqueuedAt { get; init; }

    /// <summary>Gets how long the queue should wait before delivering it again (Retry only).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Gets the Azure Communication Services operation id the send ran under (Relay:Transport Acs), when it got that far.</summary>
    public string? OperationId { get; init; }

    /// <summary>Gets the service's error code (ACS's), when it gave one.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Gets the processing time.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {MessageId ?? EnvelopeId}: {Detail}";
}
