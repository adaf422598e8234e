using System;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Budgets;

/// <summary>A budget's usage in this process only (one Send-SmtpMail pipeline, or one relay instance that shares nothing).</summary>
public sealed class MemoryBudgetStore : BudgetStore
{
    private readonly object sync = new();
    private BudgetUsage usage = BudgetUsage.Empty;

    /// <inheritdoc/>
    public override Task<BudgetUsage> ReadAsync(CancellationToken cancellationToken)
    {
        lock (sync)
        {
            return Task.FromResult(usage);
        }
    }

    /// <inheritdoc/>
    public override Task<T> UpdateAsync<T>(Func<BudgetUsage, (BudgetUsage? Next, T Result)> change, CancellationToken cancellationToken)
    {
        if (change is null)
        {
            throw new ArgumentNullException(nameof(change));
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (sync)
        {
            var (next, result) = change(usage);
            usage = next ?? usage;
            return Task.FromResult(result);
        }
    }
}
