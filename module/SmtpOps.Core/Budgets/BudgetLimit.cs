using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SmtpOps.Budgets;

/// <summary>
/// One limit of a <see cref="SendingBudget"/>: at most <see cref="Count"/> messages (or recipients) in any
/// <see cref="Window"/> of time, a sliding window as the receiving service counts it (Exchange Online's 30 messages a
/// minute, 10,000 recipients a rolling day). Immutable.
/// </summary>
public sealed class BudgetLimit : IEquatable<BudgetLimit>
{
    private static readonly Regex Syntax = new(
        @"^\s*(?<count>\d+)\s+(?<measure>messages?|recipients?)\s+(?:per|/)\s+(?:(?<unit>minute|hour|day)|(?<amount>\d+)\s*(?<units>seconds?|minutes?|hours?|days?)|(?<span>\d[\d:.]*))\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Initializes a new instance of the <see cref="BudgetLimit"/> class.</summary>
    /// <param name="measure">What is counted.</param>
    /// <param name="count">How many fit in one window; at least 1.</param>
    /// <param name="window">The window; at least 100 ms.</param>
    public BudgetLimit(BudgetMeasure measure, int count, TimeSpan window)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "A limit counts at least one message or recipient per window.");
        }

        if (window < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "A window is at least 100 ms.");
        }

        Measure = measure;
        Count = count;
        Window = window;
    }

    /// <summary>Gets what is counted.</summary>
    public BudgetMeasure Measure { get; }

    /// <summary>Gets how many messages or recipients fit in one window.</summary>
    public int Count { get; }

    /// <summary>Gets the window.</summary>
    public TimeSpan Window { get; }

    /// <summary>
    /// Gets the resolution at which sends are remembered (a sixtieth of the window: one second for a minute, 24 minutes
    /// for a day): a send is counted from the start of its slice until a whole window after the slice's end, so a
    /// send may wait up to one slice longer than the service strictly requires, never less.
    /// </summary>
    public TimeSpan Slice => TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, Window.Ticks / 60));

    /// <summary>Gets a stable key for the limit (measure and window), under which its use is stored.</summary>
    public string Key => $"{Measure}/{Window.Ticks.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Reads a limit as an operator writes it: <c>30 messages per minute</c>, <c>100 messages per hour</c>,
    /// <c>10000 recipients per day</c>, <c>10000 messages per 10 minutes</c> or with a time span,
    /// <c>4 messages per 00:00:05</c>.
    /// </summary>
    /// <param name="text">The limit.</param>
    /// <returns>The limit.</returns>
    /// <exception cref="FormatException">The text is not a limit.</exception>
    public static BudgetLimit Parse(string text)
    {
        var match = Syntax.Match(text ?? string.Empty);
        if (!match.Success || !int.TryParse(match.Groups["count"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            throw new FormatException($"'{text}' is not a budget limit; write e.g. '30 messages per minute', '10000 recipients per day', '10000 messages per 10 minutes' or '4 messages per 00:00:05'.");
        }

        var measure = match.Groups["measure"].Value.StartsWith("r", StringComparison.OrdinalIgnoreCase) ? BudgetMeasure.Recipients : BudgetMeasure.Messages;
        TimeSpan window;
        if (match.Groups["unit"].Success)
        {
            window = Unit(match.Groups["unit"].Value, 1);
        }
        else if (match.Groups["amount"].Success)
        {
            window = Unit(match.Groups["units"].Value, int.Parse(match.Groups["amount"].Value, CultureInfo.InvariantCulture));
        }
        else if (!TimeSpan.TryParse(match.Groups["span"].Value, CultureInfo.InvariantCulture, out window))
        {
            throw new FormatException($"'{match.Groups["span"].Value}' in '{text}' is not a time span (hh:mm:ss).");
        }

        try
        {
            return new BudgetLimit(measure, count, window);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new FormatException($"'{text}': {ex.Message.Split('\n')[0]}", ex);
        }
    }

    /// <inheritdoc/>
    public bool Equals(BudgetLimit? other) => other is not null && other.Measure == Measure && other.Count == Count && other.Window == Window;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as BudgetLimit);

    /// <inheritdoc/>
    public override int GetHashCode() => ((int)Measure * 397) ^ Count ^ Window.GetHashCode();

    /// <summary>Gets the limit as <see cref="Parse"/> reads it, e.g. <c>30 messages per minute</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var what = Measure == BudgetMeasure.Messages ? "messages" : "recipients";
        var per = Window == TimeSpan.FromMinutes(1) ? "minute"
            : Window == TimeSpan.FromHours(1) ? "hour"
            : Window == TimeSpan.FromDays(1) ? "day"
            : Window.ToString("c", CultureInfo.InvariantCulture);
        return $"{Count.ToString(CultureInfo.InvariantCulture)} {what} per {per}";
    }

    private static TimeSpan Unit(string unit, int amount) => char.ToLowerInvariant(unit[0]) switch
    {
        's' => TimeSpan.FromSeconds(amount),
        'm' => TimeSpan.FromMinutes(amount),
        'h' => TimeSpan.FromHours(amount),
        _ => TimeSpan.FromDays(amount),
    };
}
