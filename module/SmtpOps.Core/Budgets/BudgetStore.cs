using System;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Budgets;

/// <summary>
/// Where a <see cref="SendingBudget"/>'s <see cref="BudgetUsage"/> lives: in memory for one pipeline
/// (<see cref="MemoryBudgetStore"/>), or in a Storage table for every instance of a relay (<see cref="TableBudgetStore"/>).
/// An update reads the usage, changes it and writes it back as one step (a lock, or optimistic concurrency).
/// </summary>
public abstract class BudgetStore
{
    /// <summary>Reads the usage as it is now.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The usage (<see cref="BudgetUsage.Empty"/> when nothing was stored).</returns>
    public abstract Task<BudgetUsage> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Changes the usage as one step: <paramref name="change"/> may run more than once (when another writer came first) and must not have side effects.</summary>
    /// <typeparam name="T">What the change tells its caller.</typeparam>
    /// <param name="change">From the current usage to the next one (<c>null</c>: nothing to write) and a result.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>The result of the change that was written (or needed no write).</returns>
    public abstract Task<T> UpdateAsync<T>(Func<BudgetUsage, (BudgetUsage? Next, T Result)> change, CancellationToken cancellationToken);
}
