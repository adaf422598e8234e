using System;
using SmtpOps.Acs;
using SmtpOps.Budgets;
using SmtpOps.Dkim;
using SmtpOps.Graph;
using SmtpOps.Smime;
using SmtpOps.Smtp;

namespace SmtpOps.Relay.Processing;

/// <summary>How the relay sends: the smarthost, the policy, retries and limits.</summary>
public sealed class RelayProcessorOptions
{
    /// <summary>Gets the relay queue's name (the failed queue and the tables derive from it).</summary>
    public string QueueName { get; init; } = "smtpops-relay";

    /// <summary>Gets the smarthost and how to authenticate to it.</summary>
    public SmtpConnectionOptions Smarthost { get; init; } = new();

    /// <summary>
    /// Gets the Microsoft Graph mailbox and identity to send through instead of the smarthost (Relay:Transport Graph), or
    /// <c>null</c> to submit to <see cref="Smarthost"/>. The policy, idempotency, rate limit and outcomes are the same.
    /// </summary>
    public GraphTransportOptions? Graph { get; init; }

    /// <summary>
    /// Gets the Azure Communication Services resource and identity to send through instead of the smarthost
    /// (Relay:Transport Acs), or <c>null</c>. The policy, idempotency, rate limit and outcomes are the same.
    /// </summary>
    public AcsEmailOptions? Acs { get; init; }

    /// <summary>Gets the DKIM signers per sending domain; mail from other domains is sent unsigned (none by default).</summary>
    public DkimSignerSet Dkim { get; init; } = DkimSignerSet.None;

    /// <summary>
    /// Gets the S/MIME signature (and encryption) applied to every message after composing, or <c>null</c> for none. A message
    /// it cannot be applied to (another sender, a recipient without a certificate) is dead-lettered, never sent unprotected.
    /// </summary>
    public SmimeOptions? Smime { get; init; }

    /// <summary>Gets what the relay agrees to send.</summary>
    public RelayPolicy Policy { get; init; } = new();

    /// <summary>
    /// Gets after how many deliveries a transient failure is dead-lettered by the relay itself;
    /// equal to the host's maxDequeueCount, so the operator gets our record with the reason
    /// rather than a bare poison message.
    /// </summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Gets the wait before the first redelivery after a transient failure; it doubles with each delivery.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the longest wait between deliveries.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Gets the sending budget (the route's limits); its use is kept in the processor's budget store, shared by every
    /// instance when that is the ledger table's. Unlimited by default.
    /// </summary>
    public SendingBudget Budget { get; init; } = SendingBudget.Unlimited;

    /// <summary>
    /// Gets how long a delivery over budget waits in the process for its window; a longer wait makes it
    /// <see cref="RelayOutcomeKind.Deferred"/>: the queue handler puts the message back, invisible until its window,
    /// as a fresh copy whose dequeue count starts again (the budget never uses up delivery attempts).
    /// </summary>
    public TimeSpan BudgetMaxHold { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets how many smarthost connections this process may have open at once; sends beyond it wait
    /// for a free connection (the queue's concurrency may be higher: the rest of a delivery is Storage work).
    /// 3 by default: Exchange Online refuses a fourth concurrent SMTP AUTH connection per mailbox (<c>432 4.3.2</c>).
    /// </summary>
    public int MaxConnections { get; init; } = 3;

    /// <summary>Gets a value indicating whether a connection is kept open for the next message (otherwise one connection per message).</summary>
    public bool ReuseConnections { get; init; } = true;

    /// <summary>Gets how long a claimed idempotency key protects a send in progress.</summary>
    public TimeSpan ClaimLease { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets the decision these options make: <see cref="MaxAttempts"/> and the backoff from <see cref="RetryDelay"/> to <see cref="MaxRetryDelay"/>.</summary>
    public RelayDecision Decision => new(MaxAttempts, new RetryPolicy { InitialDelay = RetryDelay, MaxDelay = MaxRetryDelay });
}
