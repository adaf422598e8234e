using System;
using System.Management.Automation;
using SmtpOps.Budgets;

namespace SmtpOps.PowerShell.Commands;

/// <summary>Send-SmtpMail's sending budget: -Budget and its limits, and the gate that paces the pipeline by them.</summary>
public sealed partial class SendSmtpMailCommand
{
    /// <summary>
    /// Gets or sets the route whose documented sending budget paces the pipeline: ExchangeOnline (30 messages a minute,
    /// 10,000 recipients a day, 3 concurrent), Graph, Acs, Smarthost (none). -MessagesPerMinute and the others change it.
    /// </summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Parameter(ParameterSetName = GraphSet)]
    [Parameter(ParameterSetName = AcsTokenSet)]
    [Parameter(ParameterSetName = AcsKeySet)]
    [ValidateSet("ExchangeOnline", "Graph", "Acs", "Smarthost", "Unlimited", IgnoreCase = true)]
    public string? Budget { get; set; }

    /// <summary>Gets or sets the most messages the pipeline sends in any minute (0: no such limit).</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Parameter(ParameterSetName = GraphSet)]
    [Parameter(ParameterSetName = AcsTokenSet)]
    [Parameter(ParameterSetName = AcsKeySet)]
    [ValidateRange(0, int.MaxValue)]
    public int MessagesPerMinute { get; set; }

    /// <summary>Gets or sets the most messages the pipeline sends in any hour (0: no such limit).</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Parameter(ParameterSetName = GraphSet)]
    [Parameter(ParameterSetName = AcsTokenSet)]
    [Parameter(ParameterSetName = AcsKeySet)]
    [ValidateRange(0, int.MaxValue)]
    public int MessagesPerHour { get; set; }

    /// <summary>Gets or sets the most recipients (To, Cc, Bcc) the pipeline sends to in any 24 hours (0: no such limit).</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Parameter(ParameterSetName = GraphSet)]
    [Parameter(ParameterSetName = AcsTokenSet)]
    [Parameter(ParameterSetName = AcsKeySet)]
    [ValidateRange(0, int.MaxValue)]
    public int RecipientsPerDay { get; set; }

    /// <summary>Gets or sets further budget limits over any window, e.g. '10000 messages per 10 minutes' or '3 messages per 00:00:02'.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Parameter(ParameterSetName = GraphSet)]
    [Parameter(ParameterSetName = AcsTokenSet)]
    [Parameter(ParameterSetName = AcsKeySet)]
    [ValidateNotNullOrEmpty]
    public string[]? BudgetLimit { get; set; }

    // -Budget and the limits: no pacing unless one of them is given; each limit given replaces the route's (0 removes it).
    private SendingBudgetGate? BuildBudget()
    {
        var bound = MyInvocation.BoundParameters;
        if (!bound.ContainsKey(nameof(Budget)) && !bound.ContainsKey(nameof(MessagesPerMinute)) && !bound.ContainsKey(nameof(MessagesPerHour))
            && !bound.ContainsKey(nameof(RecipientsPerDay)) && !bound.ContainsKey(nameof(BudgetLimit)))
        {
            return null;
        }

        var budget = Budget is null ? new SendingBudget("Send-SmtpMail", Array.Empty<BudgetLimit>()) : SendingBudget.ForRoute(Budget);
        budget = budget.With(
            bound.ContainsKey(nameof(MessagesPerMinute)) ? MessagesPerMinute : null,
            bound.ContainsKey(nameof(MessagesPerHour)) ? MessagesPerHour : null,
            bound.ContainsKey(nameof(RecipientsPerDay)) ? RecipientsPerDay : null);
        foreach (var text in BudgetLimit ?? Array.Empty<string>())
        {
            try
            {
                budget = budget.WithLimit(Budgets.BudgetLimit.Parse(text));
            }
            catch (FormatException ex)
            {
                ThrowTerminatingError(SmtpErrorRecords.Terminating("InvalidBudgetLimit", ErrorCategory.InvalidArgument, ex.Message, text));
            }
        }

        WriteVerbose($"Sending budget: {budget}.");
        return new SendingBudgetGate(budget, new MemoryBudgetStore());
    }
}
