using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using SmtpOps.Budgets;
using SmtpOps.Messages;

namespace SmtpOps.PowerShell.Commands.Delivery;

/// <summary>
/// One way Send-SmtpMail delivers: over SMTP (one connection or a pool), onto the relay queue, or through
/// Microsoft Graph. The cmdlet picks one in BeginProcessing, hands it every composed message, and completes it at the end.
/// </summary>
internal abstract class DeliveryRoute : IDisposable
{
    protected DeliveryRoute(DeliveryOutput output) => Output = output;

    /// <summary>Gets where results, errors and progress are written.</summary>
    public DeliveryOutput Output { get; }

    /// <summary>Gets or sets the pipeline's sending budget (-Budget, -MessagesPerMinute...), or <c>null</c>: no pacing.</summary>
    public SendingBudgetGate? Budget { get; set; }

    /// <summary>
    /// Waits on the pipeline thread until the budget admits one more message (at once without a budget), calling
    /// <paramref name="whileWaiting"/> now and then (a pool writes the outcomes that came in, which ends their sends in
    /// the budget). Says how long it waited with -Verbose.
    /// </summary>
    /// <returns>The admission to release once the send has ended, or <c>null</c> without a budget.</returns>
    protected BudgetAdmission? Admit(MailMessageDefinition definition, CancellationToken stopping, Action? whileWaiting = null)
    {
        if (Budget is null)
        {
            return null;
        }

        var recipients = definition.To.Count + definition.Cc.Count + definition.Bcc.Count;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // With something to do meanwhile, wait in short steps; otherwise as long as the budget needs.
            var step = whileWaiting is null ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(100);
            var admission = Budget.AcquireAsync(recipients, step, stopping).GetAwaiter().GetResult();
            if (admission.Admitted)
            {
                if (clock.Elapsed >= TimeSpan.FromSeconds(1))
                {
                    Output.Cmdlet.WriteVerbose(string.Format(CultureInfo.InvariantCulture, "Waited {0:0.0} s for the sending budget ({1}).", clock.Elapsed.TotalSeconds, Budget.Budget));
                }

                return admission;
            }

            whileWaiting?.Invoke();
        }
    }

    /// <summary>Ends an admitted send in the budget (it counts as ended from now on).</summary>
    protected static void Release(BudgetAdmission? admission) => admission?.ReleaseAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The -WhatIf/-Confirm action for a message, e.g. "Send mail via host:port".</summary>
    public abstract string DescribeAction(ComposedMessage message);

    /// <summary>Delivers one message; the route owns it from here on and disposes it once it is sent or given up.</summary>
    public abstract void Deliver(ComposedMessage message, MailMessageDefinition definition);

    /// <summary>Finishes the deliveries still under way and writes their outcomes.</summary>
    public virtual void Complete()
    {
    }

    /// <inheritdoc/>
    public virtual void Dispose()
    {
    }
}
