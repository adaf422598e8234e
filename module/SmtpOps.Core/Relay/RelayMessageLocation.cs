using System;

namespace SmtpOps.Relay;

/// <summary>One place a message was found by <see cref="RelayQueueInspector.FindAsync"/>.</summary>
public sealed class RelayMessageLocation
{
    /// <summary>Gets the Message-ID or idempotency key that was looked for.</summary>
    public string Query { get; init; } = string.Empty;

    /// <summary>Gets where the message is.</summary>
    public RelayMessageState State { get; init; }

    /// <summary>Gets the relay queue.</summary>
    public string Queue { get; init; } = string.Empty;

    /// <summary>Gets the Message-ID, when known.</summary>
    public string? MessageId { get; init; }

    /// <summary>Gets the idempotency key, when known.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Gets the id of the queue message or record that was found, when there is one.</summary>
    public string? QueueMessageId { get; init; }

    /// <summary>Gets how many times the queue delivered it so far, when known.</summary>
    public long? Attempt { get; init; }

    /// <summary>Gets when it was enqueued (Waiting, Retrying, Duplicate), sent (Sent), claimed (Sending) or given up (DeadLettered, Poison).</summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>Gets the smarthost's answer (Sent), the reason (DeadLettered), or what is known.</summary>
    public string Detail { get; init; } = string.Empty;

    /// <summary>Gets the failure, for DeadLettered and Poison: pipe it to a re-send or a removal.</summary>
    public RelayFailure? Failure { get; init; }
}
