using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Relay;

/// <summary>Which failures <see cref="RelayQueueInspector.GetFailuresAsync"/> returns; an empty filter matches all.</summary>
public sealed class RelayFailureFilter
{
    /// <summary>Gets the kinds to return (Envelope, Policy, Message, Smtp, GaveUp, Poison); empty: all.</summary>
    public IReadOnlyList<string> Kinds { get; init; } = Array.Empty<string>();

    /// <summary>Gets the earliest failure time to return.</summary>
    public DateTimeOffset? After { get; init; }

    /// <summary>Gets the latest failure time to return.</summary>
    public DateTimeOffset? Before { get; init; }

    /// <summary>Gets a Message-ID to match (angle brackets optional, case-insensitive).</summary>
    public string? MessageId { get; init; }

    /// <summary>Tells whether a failure passes the filter.</summary>
    /// <param name="failure">The failure.</param>
    /// <returns>Whether it passes.</returns>
    public bool Matches(RelayFailure failure)
    {
        if (failure is null)
        {
            throw new ArgumentNullException(nameof(failure));
        }

        return (Kinds.Count == 0 || Kinds.Contains(failure.Kind, StringComparer.OrdinalIgnoreCase))
            && (After is not { } after || failure.FailedAt >= after)
            && (Before is not { } before || failure.FailedAt <= before)
            && (MessageId is not { } id || string.Equals(Bare(id), Bare(failure.MessageId), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A Message-ID without its angle brackets and spaces.</summary>
    /// <param name="messageId">The Message-ID.</param>
    /// <returns>The bare id.</returns>
    internal static string? Bare(string? messageId) => messageId?.Trim().TrimStart('<').TrimEnd('>');
}
