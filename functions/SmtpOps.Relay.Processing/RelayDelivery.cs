namespace SmtpOps.Relay.Processing;

/// <summary>One delivery of a queue message to the relay (the same message may be delivered more than once).</summary>
public sealed class RelayDelivery
{
    /// <summary>Gets the queue message id.</summary>
    public string QueueMessageId { get; init; } = string.Empty;

    /// <summary>Gets the message text (the envelope JSON, already Base64-decoded).</summary>
    public string Text { get; init; } = string.Empty;

    /// <summary>Gets how many times the queue has delivered it, this delivery included.</summary>
    public long DequeueCount { get; init; } = 1;
}
