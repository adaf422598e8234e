using System;

namespace SmtpOps.Relay.Hosting;

/// <summary>
/// Thrown by <see cref="RelayQueueHandler"/> after a transient failure, once the message was made
/// invisible for its backoff: the host must not delete the message, and counts a failed attempt.
/// </summary>
public sealed class RelayRetryException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="RelayRetryException"/> class.</summary>
    public RelayRetryException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RelayRetryException"/> class.</summary>
    /// <param name="message">What failed and when the message comes back.</param>
    public RelayRetryException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RelayRetryException"/> class.</summary>
    /// <param name="message">What failed and when the message comes back.</param>
    /// <param name="innerException">The cause.</param>
    public RelayRetryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets how long the message stays invisible before its next delivery.</summary>
    public TimeSpan RetryAfter { get; init; }

    /// <summary>Gets the queue message id.</summary>
    public string? QueueMessageId { get; init; }
}
