using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Budgets;

namespace SmtpOps.Relay.Hosting;

/// <summary>
/// The relay's sending budget (section <c>Relay:Budget</c>): the route's documented limits by default (Exchange Online for
/// a smarthost at *.office365.com, Graph, Acs; a plain smarthost none), each of which a setting here replaces (0 removes
/// it). Shared by every instance through the ledger table unless <see cref="Shared"/> is false.
/// </summary>
public sealed class BudgetSettings
{
    /// <summary>Gets or sets the route whose documented limits are the defaults (Smarthost, ExchangeOnline, Graph, Acs, Unlimited); by default the transport's (and for Smtp, the smarthost's host name's).</summary>
    public string? Route { get; set; }

    /// <summary>Gets or sets the messages per minute (0: none).</summary>
    public int? MessagesPerMinute { get; set; }

    /// <summary>Gets or sets the messages per hour (0: none).</summary>
    public int? MessagesPerHour { get; set; }

    /// <summary>Gets or sets the recipients per day, To, Cc and Bcc counted (0: none).</summary>
    public int? RecipientsPerDay { get; set; }

    /// <summary>Gets or sets how many sends may be under way at once across all instances (0: any number).</summary>
    public int? ConcurrentSends { get; set; }

    /// <summary>Gets or sets further limits over other windows, as <see cref="BudgetLimit.Parse"/> reads them (e.g. <c>10000 messages per 10 minutes</c>).</summary>
    public string[] Limits { get; set; } = Array.Empty<string>();

    /// <summary>Gets or sets how long in seconds a delivery over budget waits in the process for its window; beyond it the message goes back to the queue, invisible until then, as a fresh copy (no attempt counted).</summary>
    public double MaxHold { get; set; } = 60;

    /// <summary>Gets or sets a value indicating whether the budget's use is shared by all instances (in the ledger table); false: each process keeps its own.</summary>
    public bool Shared { get; set; } = true;

    /// <summary>Builds the budget from the settings.</summary>
    /// <param name="transport">The relay's transport (its name picks the default route: Smtp, Graph, Acs).</param>
    /// <param name="smarthostHost">The smarthost's host name (Smtp only: smtp.office365.com picks Exchange Online's limits).</param>
    /// <param name="legacyMessagesPerMinute">The older setting <c>Relay:MessagesPerMinute</c>, used when <see cref="MessagesPerMinute"/> is not set.</param>
    /// <returns>The budget.</returns>
    public SendingBudget ToBudget(string transport, string? smarthostHost, int? legacyMessagesPerMinute)
    {
        var budget = !string.IsNullOrWhiteSpace(Route) ? SendingBudget.ForRoute(Route!)
            : string.Equals(transport, "Smtp", StringComparison.OrdinalIgnoreCase) ? SendingBudget.ForSmarthost(smarthostHost)
            : SendingBudget.ForRoute(transport);
        budget = budget.With(MessagesPerMinute ?? legacyMessagesPerMinute, MessagesPerHour, RecipientsPerDay, ConcurrentSends);
        return Limits.Where(l => !string.IsNullOrWhiteSpace(l)).Aggregate(budget, (b, l) => b.WithLimit(BudgetLimit.Parse(l)));
    }

    /// <summary>Adds the problems of these settings to <paramref name="problems"/>, naming each setting.</summary>
    /// <param name="problems">The list.</param>
    public void Validate(List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (!string.IsNullOrWhiteSpace(Route))
        {
            try
            {
                SendingBudget.ForRoute(Route!);
            }
            catch (ArgumentException ex)
            {
                problems.Add($"Relay:Budget:Route: {ex.Message.Split(" (Parameter")[0]}");
            }
        }

        foreach (var (name, value) in new[] { ("MessagesPerMinute", MessagesPerMinute), ("MessagesPerHour", MessagesPerHour), ("RecipientsPerDay", RecipientsPerDay), ("ConcurrentSends", ConcurrentSends) })
        {
            if (value < 0)
            {
                problems.Add($"Relay:Budget:{name} must not be negative (0 means no limit).");
            }
        }

        for (var i = 0; i < Limits.Length; i++)
        {
            try
            {
                if (!string.IsNullOrWhiteSpace(Limits[i]))
                {
                    BudgetLimit.Parse(Limits[i]);
                }
            }
            catch (FormatException ex)
            {
                problems.Add($"Relay:Budget:Limits:{i}: {ex.Message}");
            }
        }

        if (MaxHold < 0)
        {
            problems.Add("Relay:Budget:MaxHold must not be negative.");
        }
    }
}
