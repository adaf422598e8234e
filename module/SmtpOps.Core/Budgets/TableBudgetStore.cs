using System;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Data.Tables;

namespace SmtpOps.Budgets;

/// <summary>
/// A budget's usage in one entity of an Azure Storage table, shared by every relay instance that sends through the same
/// route: each update reads the entity and replaces it only if nobody wrote it meanwhile (its ETag), else reads again.
/// The relay keeps it in its ledger table (partition <see cref="Partition"/>), which its identity can already write.
/// </summary>
public sealed class TableBudgetStore : BudgetStore
{
    /// <summary>The partition of budget entities: not a ledger partition (those are 64 hex digits).</summary>
    public const string Partition = "budget";

    /// <summary>The row of the relay's send budget.</summary>
    public const string RelayRow = "send";

    /// <summary>The column that holds <see cref="BudgetUsage.ToJson"/>.</summary>
    public const string UsageColumn = "Usage";

    private static readonly Random Jitter = new();
    private readonly TableClient table;
    private readonly string row;
    private bool created;

    /// <summary>Initializes a new instance of the <see cref="TableBudgetStore"/> class.</summary>
    /// <param name="table">The table (created if missing on the first update).</param>
    /// <param name="row">The budget's row in <see cref="Partition"/>.</param>
    public TableBudgetStore(TableClient table, string row = RelayRow)
    {
        this.table = table ?? throw new ArgumentNullException(nameof(table));
        this.row = string.IsNullOrWhiteSpace(row) ? throw new ArgumentException("A row key is required.", nameof(row)) : row;
    }

    /// <inheritdoc/>
    public override async Task<BudgetUsage> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var entity = await table.GetEntityIfExistsAsync<TableEntity>(Partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
            return entity.HasValue ? Parse(entity.Value!) : BudgetUsage.Empty;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return BudgetUsage.Empty;
        }
    }

    /// <inheritdoc/>
    public override async Task<T> UpdateAsync<T>(Func<BudgetUsage, (BudgetUsage? Next, T Result)> change, CancellationToken cancellationToken)
    {
        if (change is null)
        {
            throw new ArgumentNullException(nameof(change));
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            NullableResponse<TableEntity> existing;
            try
            {
                existing = await table.GetEntityIfExistsAsync<TableEntity>(Partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && !created)
            {
                await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                created = true;
                continue;
            }

            var (next, result) = change(existing.HasValue ? Parse(existing.Value!) : BudgetUsage.Empty);
            if (next is null)
            {
                return result;
            }

            var entity = new TableEntity(Partition, row) { [UsageColumn] = next.ToJson() };
            try
            {
                if (existing.HasValue)
                {
                    await table.UpdateEntityAsync(entity, existing.Value!.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                }

                return result;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another instance wrote first: read its usage and decide again, a little later than the others.
                int pause;
                lock (Jitter)
                {
                    pause = Jitter.Next(1, 25);
                }

                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && !created)
            {
                await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                created = true;
            }
        }
    }

    private static BudgetUsage Parse(TableEntity entity) => entity.GetString(UsageColumn) is { Length: > 0 } json ? BudgetUsage.FromJson(json) : BudgetUsage.Empty;
}
