using System;
using System.Collections.Generic;
using SmtpOps.Budgets;

namespace SmtpOps.Relay;

/// <summary>What a relay queue holds at one moment: <see cref="RelayQueueInspector.GetStatusAsync"/>.</summary>
public sealed class RelayQueueStatus
{
    /// <summary>Gets the relay queue.</summary>
    public string Queue { get; init; } = string.Empty;

    /// <summary>Gets the Storage account.</summary>
    public string Account { get; init; } = string.Empty;

    /// <summary>Gets the messages on the relay queue, visible or not (Storage's approximate count: waiting, being delivered, or waiting for a retry).</summary>
    public int Waiting { get; init; }

    /// <summary>Gets how long the oldest visible message has been on the queue; <c>null</c> when none is visible.</summary>
    public TimeSpan? OldestAge { get; init; }

    /// <summary>Gets the dead-letter records in <c>&lt;queue&gt;-failed</c> (approximate).</summary>
    public int DeadLettered { get; init; }

    /// <summary>Gets the messages in the platform's <c>&lt;queue&gt;-poison</c> (approximate).</summary>
    public int Poison { get; init; }

    /// <summary>Gets the claim-check blobs in <c>&lt;queue&gt;-attachments</c>: of messages waiting and of dead-lettered ones.</summary>
    public int Blobs { get; init; }

    /// <summary>Gets the size of those blobs in bytes.</summary>
    public long BlobBytes { get; init; }

    /// <summary>Gets the relay's sending budget as it last wrote it (e.g. <c>ExchangeOnline: 30 messages per minute, ...</c>), or <c>null</c> when none was used yet (unlimited, or not shared).</summary>
    public string? Budget { get; init; }

    /// <summary>Gets each budget limit's use now (used of capacity, sends under way, when it has room again).</summary>
    public IReadOnlyList<BudgetUse> BudgetUse { get; init; } = Array.Empty<BudgetUse>();

    /// <summary>Gets when the next message may go by the budget; <c>null</c> when it may go now.</summary>
    public DateTimeOffset? NextSendAt { get; init; }

    /// <summary>Gets when the status was read.</summary>
    public DateTimeOffset ReadAt { get; init; }
}
