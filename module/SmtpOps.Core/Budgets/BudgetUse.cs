using System;
using System.Globalization;

namespace SmtpOps.Budgets;

/// <summary>How much of one limit of a <see cref="SendingBudget"/> is used at one moment (Get-SmtpRelayQueue shows one per limit).</summary>
public sealed class BudgetUse
{
    /// <summary>Gets the limit, as <see cref="BudgetLimit.ToString"/> writes it, or <c>N concurrent</c>.</summary>
    public string Limit { get; init; } = string.Empty;

    /// <summary>Gets the window; <c>null</c> for the concurrent sends.</summary>
    public TimeSpan? Window { get; init; }

    /// <summary>Gets how many messages or recipients the limit allows per window (or sends at once).</summary>
    public int Capacity { get; init; }

    /// <summary>Gets how many are counted now: sends ended within the window (to its resolution) and sends under way.</summary>
    public int Used { get; init; }

    /// <summary>Gets how many of <see cref="Used"/> are sends under way.</summary>
    public int InFlight { get; init; }

    /// <summary>Gets when one more message fits this limit; <c>null</c> when it fits now (or cannot be told: all in flight).</summary>
    public DateTimeOffset? FreeAt { get; init; }

    /// <summary>Gets the use as one short line, e.g. <c>12/30 messages per minute</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Used.ToString(CultureInfo.InvariantCulture)}/{Limit}";
}
