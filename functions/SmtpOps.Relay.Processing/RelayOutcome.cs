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

    /// <summary>Gets the SMTP status code of the failure, when the server answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Gets how long the queue should wait before delivering it again (Retry only).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Gets the processing time.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {MessageId ?? EnvelopeId}: {Detail}";
}
