using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SmtpOps.Budgets;

/// <summary>
/// What a sending route accepts over time: a few <see cref="BudgetLimit"/>s (messages per minute and per hour,
/// recipients per day, or any other window) and how many sends may be under way at once. Sends over budget wait for
/// their window instead of meeting the service's throttling replies (Exchange Online's <c>4.5.127</c> or <c>432</c>,
/// Graph's and ACS's 429). Immutable: <see cref="With"/> and <see cref="WithLimit"/> return a new budget.
/// </summary>
/// <remarks>
/// The named defaults follow each route's documented limits: Exchange Online SMTP AUTH 30 messages a minute (SMTP
/// client submission), 10,000 recipients a day and 3 concurrent connections per mailbox (Microsoft's "Exchange Online
/// limits", sending limits, and "Message storage and concurrent connection throttling for SMTP Authenticated
/// Submission"); Microsoft Graph 4 concurrent requests and 10,000 requests per 10 minutes per app and mailbox
/// ("Microsoft Graph service-specific throttling limits", Outlook service limits), with Exchange Online's 10,000
/// recipients a day; Azure Communication Services Email on a custom domain 30 messages a minute and 100 an hour until
/// raised on request ("Email client library overview", API throttling and timeouts); a plain smarthost none.
/// </remarks>
public sealed class SendingBudget
{
    /// <summary>The name of the budget of a smarthost with no known limits: unlimited unless set.</summary>
    public const string SmarthostRoute = "Smarthost";

    /// <summary>The name of Exchange Online SMTP AUTH's budget.</summary>
    public const string ExchangeOnlineRoute = "ExchangeOnline";

    /// <summary>The name of Microsoft Graph sendMail's budget.</summary>
    public const string GraphRoute = "Graph";

    /// <summary>The name of Azure Communication Services Email's budget (custom domain, default quota).</summary>
    public const string AcsRoute = "Acs";

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    /// <summary>Initializes a new instance of the <see cref="SendingBudget"/> class.</summary>
    /// <param name="name">What the budget is for (a route name, or anything that says it).</param>
    /// <param name="limits">The limits; one per measure and window (a later one replaces an earlier one).</param>
    /// <param name="concurrentSends">How many sends may be under way at once; 0: any number.</param>
    public SendingBudget(string name, IEnumerable<BudgetLimit> limits, int concurrentSends = 0)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("A budget has a name.", nameof(name));
        }

        if (concurrentSends < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(concurrentSends), concurrentSends, "Concurrent sends must not be negative (0: no limit).");
        }

        var byKey = new Dictionary<string, BudgetLimit>(StringComparer.Ordinal);
        foreach (var limit in limits ?? throw new ArgumentNullException(nameof(limits)))
        {
            byKey[(limit ?? throw new ArgumentException("A limit is null.", nameof(limits))).Key] = limit;
        }

        Name = name;
        Limits = byKey.Values.OrderBy(l => l.Measure).ThenBy(l => l.Window).ToArray();
        ConcurrentSends = concurrentSends;
    }

    /// <summary>Gets no budget at all: nothing waits.</summary>
    public static SendingBudget Unlimited { get; } = new("Unlimited", Array.Empty<BudgetLimit>());

    /// <summary>Gets a plain smarthost's budget: none unless set.</summary>
    public static SendingBudget Smarthost { get; } = new(SmarthostRoute, Array.Empty<BudgetLimit>());

    /// <summary>Gets Exchange Online SMTP AUTH's per-mailbox budget: 30 messages a minute, 10,000 recipients a day, 3 concurrent connections.</summary>
    public static SendingBudget ExchangeOnline { get; } = new(ExchangeOnlineRoute, new[] { new BudgetLimit(BudgetMeasure.Messages, 30, Minute), new BudgetLimit(BudgetMeasure.Recipients, 10_000, Day) }, 3);

    /// <summary>Gets Microsoft Graph's per-mailbox budget: 4 concurrent requests, 10,000 requests per 10 minutes (a sendMail is one), 10,000 recipients a day.</summary>
    public static SendingBudget Graph { get; } = new(GraphRoute, new[] { new BudgetLimit(BudgetMeasure.Messages, 10_000, TimeSpan.FromMinutes(10)), new BudgetLimit(BudgetMeasure.Recipients, 10_000, Day) }, 4);

    /// <summary>Gets Azure Communication Services Email's default budget on a custom domain: 30 messages a minute, 100 an hour.</summary>
    public static SendingBudget Acs { get; } = new(AcsRoute, new[] { new BudgetLimit(BudgetMeasure.Messages, 30, Minute), new BudgetLimit(BudgetMeasure.Messages, 100, Hour) });

    /// <summary>Gets the route names <see cref="ForRoute"/> knows.</summary>
    public static IReadOnlyList<string> RouteNames { get; } = new[] { SmarthostRoute, ExchangeOnlineRoute, GraphRoute, AcsRoute };

    /// <summary>Gets the budget's name.</summary>
    public string Name { get; }

    /// <summary>Gets the limits, ordered by measure and window.</summary>
    public IReadOnlyList<BudgetLimit> Limits { get; }

    /// <summary>Gets how many sends may be under way at once; 0: any number.</summary>
    public int ConcurrentSends { get; }

    /// <summary>Gets the limit of messages per minute, or <c>null</c>.</summary>
    public int? MessagesPerMinute => Find(BudgetMeasure.Messages, Minute);

    /// <summary>Gets the limit of messages per hour, or <c>null</c>.</summary>
    public int? MessagesPerHour => Find(BudgetMeasure.Messages, Hour);

    /// <summary>Gets the limit of recipients per day, or <c>null</c>.</summary>
    public int? RecipientsPerDay => Find(BudgetMeasure.Recipients, Day);

    /// <summary>Gets a value indicating whether nothing is limited (no limit, any number of concurrent sends).</summary>
    public bool IsUnlimited => Limits.Count == 0 && ConcurrentSends == 0;

    /// <summary>Gets how often a send that cannot tell when it may go (every slot in flight) looks again: a second, or a twentieth of the shortest window.</summary>
    internal TimeSpan PollInterval => Limits.Count == 0
        ? TimeSpan.FromMilliseconds(250)
        : TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, Limits.Min(l => l.Window.Ticks) / 20));

    /// <summary>Gets a route's documented budget by name (case-insensitive): Smarthost (also Smtp), ExchangeOnline, Graph, Acs (also AzureCommunicationServices).</summary>
    /// <param name="route">The route's name.</param>
    /// <returns>The budget.</returns>
    /// <exception cref="ArgumentException">No route has that name; the message lists the names.</exception>
    public static SendingBudget ForRoute(string route) => (route ?? string.Empty).Trim().ToUpperInvariant() switch
    {
        "SMARTHOST" or "SMTP" => Smarthost,
        "EXCHANGEONLINE" => ExchangeOnline,
        "GRAPH" => Graph,
        "ACS" or "AZURECOMMUNICATIONSERVICES" => Acs,
        "UNLIMITED" or "NONE" => Unlimited,
        _ => throw new ArgumentException($"No route is named '{route}'; the budgets are {string.Join(", ", RouteNames)} (or Unlimited).", nameof(route)),
    };

    /// <summary>Gets the budget of an SMTP smarthost by its host name: Exchange Online's for smtp.office365.com (and any *.office365.com or *.outlook.com host), otherwise none.</summary>
    /// <param name="host">The smarthost's host name.</param>
    /// <returns>The budget.</returns>
    public static SendingBudget ForSmarthost(string? host)
    {
        var name = (host ?? string.Empty).Trim().TrimEnd('.');
        return name.EndsWith(".office365.com", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".outlook.com", StringComparison.OrdinalIgnoreCase)
            ? ExchangeOnline
            : Smarthost;
    }

    /// <summary>Gets this budget with some of its usual limits set: each non-null value replaces that limit, and 0 removes it.</summary>
    /// <param name="messagesPerMinute">Messages per minute.</param>
    /// <param name="messagesPerHour">Messages per hour.</param>
    /// <param name="recipientsPerDay">Recipients per day.</param>
    /// <param name="concurrentSends">Concurrent sends.</param>
    /// <returns>The new budget.</returns>
    public SendingBudget With(int? messagesPerMinute = null, int? messagesPerHour = null, int? recipientsPerDay = null, int? concurrentSends = null)
    {
        var budget = this;
        budget = Set(budget, BudgetMeasure.Messages, Minute, messagesPerMinute);
        budget = Set(budget, BudgetMeasure.Messages, Hour, messagesPerHour);
        budget = Set(budget, BudgetMeasure.Recipients, Day, recipientsPerDay);
        return concurrentSends is { } concurrent ? new SendingBudget(budget.Name, budget.Limits, concurrent) : budget;
    }

    /// <summary>Gets this budget with one more limit, which replaces any limit of the same measure and window.</summary>
    /// <param name="limit">The limit.</param>
    /// <returns>The new budget.</returns>
    public SendingBudget WithLimit(BudgetLimit limit) => new(Name, Limits.Concat(new[] { limit ?? throw new ArgumentNullException(nameof(limit)) }), ConcurrentSends);

    /// <summary>Gets the budget as one line, e.g. <c>ExchangeOnline: 30 messages per minute, 10000 recipients per day, 3 concurrent</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var parts = Limits.Select(l => l.ToString()).ToList();
        if (ConcurrentSends > 0)
        {
            parts.Add($"{ConcurrentSends.ToString(CultureInfo.InvariantCulture)} concurrent");
        }

        return $"{Name}: {(parts.Count == 0 ? "unlimited" : string.Join(", ", parts))}";
    }

    private static SendingBudget Set(SendingBudget budget, BudgetMeasure measure, TimeSpan window, int? count)
    {
        if (count is not { } value)
        {
            return budget;
        }

        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), value, "A limit must not be negative (0 removes it).");
        }

        var others = budget.Limits.Where(l => l.Measure != measure || l.Window != window);
        return new SendingBudget(budget.Name, value == 0 ? others : others.Concat(new[] { new BudgetLimit(measure, value, window) }), budget.ConcurrentSends);
    }

    private int? Find(BudgetMeasure measure, TimeSpan window) => Limits.FirstOrDefault(l => l.Measure == measure && l.Window == window)?.Count;
}
