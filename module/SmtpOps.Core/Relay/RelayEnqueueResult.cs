namespace SmtpOps.Relay;

/// <summary>What <see cref="SmtpRelayClient.EnqueueAsync"/> put on the queue.</summary>
public sealed class RelayEnqueueResult
{
    /// <summary>Gets the status, always "Queued": the relay delivers later.</summary>
    public string Status => "Queued";

    /// <summary>Gets the queue message id.</summary>
    public string QueueMessageId { get; init; } = string.Empty;

    /// <summary>Gets the queue name.</summary>
    public string Queue { get; init; } = string.Empty;

    /// <summary>Gets the envelope id.</summary>
    public string EnvelopeId { get; init; } = string.Empty;

    /// <summary>Gets the Message-ID the mail will carry.</summary>
    public string MessageId { get; init; } = string.Empty;

    /// <summary>Gets the idempotency key.</summary>
    public string IdempotencyKey { get; init; } = string.Empty;

    /// <summary>Gets the subject.</summary>
    public string Subject { get; init; } = string.Empty;

    /// <summary>Gets how many blobs carry content the queue message could not (the claim checks).</summary>
    public int BlobCount { get; init; }

    /// <summary>Gets the size of the queue message's JSON in bytes.</summary>
    public int QueueMessageBytes { get; init; }
}
