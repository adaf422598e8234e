using System.Collections.Generic;

namespace SmtpOps.Relay;

/// <summary>
/// The kinds of <see cref="RelayFailure"/>: what the relay writes into a dead-letter record (<see cref="DeadLetterRecord.Kind"/>),
/// and what the inspector calls the messages of the poison queue and records it cannot read. One list, so that the relay, the
/// inspector, <c>Get-SmtpRelayFailure -Kind</c> and its help cannot disagree.
/// </summary>
public static class RelayFailureKind
{
    /// <summary>An envelope that cannot be read, names what it may not, or whose blobs are missing.</summary>
    public const string Envelope = "Envelope";

    /// <summary>A message the relay's policy refuses (sender, recipients, size).</summary>
    public const string Policy = "Policy";

    /// <summary>A message that cannot be composed (bad address, header, attachment).</summary>
    public const string Message = "Message";

    /// <summary>A permanent (5xx) refusal by the smarthost.</summary>
    public const string Smtp = "Smtp";

    /// <summary>A permanent (4xx) refusal by Microsoft Graph.</summary>
    public const string Graph = "Graph";

    /// <summary>A refusal by Azure Communication Services Email (4xx, a message it cannot carry, or a send operation that ended Failed).</summary>
    public const string Acs = "Acs";

    /// <summary>A message still failing transiently at the last attempt.</summary>
    public const string GaveUp = "GaveUp";

    /// <summary>A message the platform moved to <c>&lt;queue&gt;-poison</c>.</summary>
    public const string Poison = "Poison";

    /// <summary>A message in <c>&lt;queue&gt;-failed</c> that is not a record the relay wrote.</summary>
    public const string Unreadable = "Unreadable";

    /// <summary>Gets every kind, in the order above.</summary>
    public static IReadOnlyList<string> All { get; } = new[] { Envelope, Policy, Message, Smtp, Graph, Acs, GaveUp, Poison, Unreadable };
}
