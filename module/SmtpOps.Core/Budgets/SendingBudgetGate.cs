using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Budgets;

/// <summary>
/// Keeps sends within a <see cref="SendingBudget"/>: a send asks to be admitted, waits while the budget is used up (as
/// long as it is allowed to), and says when it has ended. The usage is in a <see cref="BudgetStore"/>: in memory for
/// one pipeline, in a Storage table for all instances of a relay. Within a process the waiters take turns in order,
/// so only one of them at a time reads and writes the store. Thread-safe.
/// </summary>
public sealed class SendingBudgetGate : IDisposable
{
    private readonly BudgetStore store;
    private readonly TimeSpan lease;
    private readonly SemaphoreSlim turn = new(1, 1);
    private long lastRetryAtTicks;

    /// <summary>Initializes a new instance of the <see cref="SendingBudgetGate"/> class.</summary>
    /// <param name="budget">The budget.</param>
    /// <param name="store">Where its usage is kept.</param>
    /// <param name="lease">How long an admitted send counts as under way if it never says it ended (its process died); 10 minutes by default.</param>
    public SendingBudgetGate(SendingBudget budget, BudgetStore store, TimeSpan? lease = null)
    {
        Budget = budget ?? throw new ArgumentNullException(nameof(budget));
        this.store = store ?? throw new ArgumentNullException(nameof(store));
        this.lease = lease ?? TimeSpan.FromMinutes(10);
    }

    /// <summary>Gets the budget.</summary>
    public SendingBudget Budget { get; }

    /// <summary>
    /// Admits one send as soon as it fits the budget, waiting at most <paramref name="maxWait"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: as long as it takes). An unlimited budget admits at once without the store.
    /// </summary>
    /// <param name="recipients">The message's recipients (To, Cc, Bcc), for limits that count recipients.</param>
    /// <param name="maxWait">The longest wait; beyond it the answer is "not admitted" with when to come back.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The admission.</returns>
    public async Task<BudgetAdmission> AcquireAsync(int recipients, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        if (Budget.IsUnlimited)
        {
            return new BudgetAdmission(true, null, TimeSpan.Zero, null);
        }

        var clock = Stopwatch.StartNew();
        var forever = maxWait == Timeout.InfiniteTimeSpan;
        if (!await turn.WaitAsync(forever ? Timeout.InfiniteTimeSpan : Max(maxWait, TimeSpan.Zero), cancellationToken).ConfigureAwait(false))
        {
            // The sends ahead of this one in this process hold the turn: it will not come sooner than theirs.
            var known = new DateTimeOffset(Interlocked.Read(ref lastRetryAtTicks), TimeSpan.Zero);
            var now = DateTimeOffset.UtcNow;
            return new BudgetAdmission(false, known > now ? known : now + Budget.PollInterval, clock.Elapsed, null);
        }

        try
        {
            var id = Guid.NewGuid().ToString("N");
            while (true)
            {
                var now = DateTimeOffset.UtcNow;
                var (admitted, retryAt) = await store.UpdateAsync(
                    usage =>
                    {
                        var (next, at) = usage.Reserve(Budget, id, recipients, now, lease);
                        return (next, (next is not null, at));
                    },
                    cancellationToken).ConfigureAwait(false);
                if (admitted)
                {
                    return new BudgetAdmission(true, null, clock.Elapsed, token => ReleaseAsync(id, token));
                }

                Interlocked.Exchange(ref lastRetryAtTicks, retryAt.UtcTicks);
                var wait = Max(retryAt - DateTimeOffset.UtcNow, TimeSpan.Zero);
                if (!forever && clock.Elapsed + wait > maxWait)
                {
                    return new BudgetAdmission(false, retryAt, clock.Elapsed, null);
                }

                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            turn.Release();
        }
    }

    /// <summary>Reads the budget's use now (for a status).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The usage.</returns>
    public Task<BudgetUsage> ReadAsync(CancellationToken cancellationToken) => store.ReadAsync(cancellationToken);

    /// <summary>Releases the turn's semaphore.</summary>
    public void Dispose() => turn.Dispose();

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private Task ReleaseAsync(string id, CancellationToken cancellationToken)
        => store.UpdateAsync<bool>(usage => (usage.Release(Budget, id, DateTimeOffset.UtcNow), true), cancellationToken);
}
