using System;

namespace SmtpOps.Relay.LocalHost;

/// <summary>
/// The queue trigger's settings (section <c>Queues</c>), the same values as the Function's
/// host.json <c>extensions.queues</c>; see functions/README.md for why each value. maxDequeueCount
/// is not here: it is always Relay:MaxAttempts, so the two cannot drift apart.
/// </summary>
public sealed class QueueHostSettings
{
    /// <summary>Gets or sets how many messages one poll fetches.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Gets or sets how few messages may be in flight before the next poll.</summary>
    public int NewBatchThreshold { get; set; } = 8;

    /// <summary>Gets or sets how long a message the host releases after an unexpected failure stays invisible.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long received messages stay invisible while being processed, or nothing for
    /// the SDK's fixed 10 minutes (the Functions host has no such setting). Shorter means a crashed
    /// relay's messages come back sooner; it must exceed the longest single delivery.
    /// </summary>
    public TimeSpan? InFlightVisibilityTimeout { get; set; }

    /// <summary>Gets or sets the longest wait between polls of an empty queue.</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how often the host checks that Storage answers, to log an outage and the recovery (<see cref="StorageWatch"/>).</summary>
    public TimeSpan StorageCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
