using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Storage.Queues;
using SmtpOps.Budgets;

namespace SmtpOps.Relay;

// What a relay queue holds now (Get-SmtpRelayQueue).
public sealed partial class RelayQueueInspector
{
    /// <summary>Reads what the relay queue holds now.</summary>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The status.</returns>
    /// <exception cref="RelayStorageException">The relay queue does not exist (<see cref="RelayStorageFailureKind.NotFound"/>), or Storage cannot be reached or refuses.</exception>
    public Task<RelayQueueStatus> GetStatusAsync(CancellationToken cancellationToken = default) => GuardAsync("read", async () =>
    {
        var waiting = await RequireQueueAsync(cancellationToken).ConfigureAwait(false);
        var oldest = (await queue.PeekMessagesAsync(1, cancellationToken).ConfigureAwait(false)).Value.FirstOrDefault();
        var now = DateTimeOffset.UtcNow;
        int blobCount = 0;
        long blobBytes = 0;
        try
        {
            await foreach (var blob in container.GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                blobCount++;
                blobBytes += blob.Properties.ContentLength ?? 0;
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No claim check was ever needed: no container.
        }

        // The budget's use as the relay instances share it (their ledger table), measured against the budget they wrote.
        BudgetUsage usage;
        try
        {
            usage = await new TableBudgetStore(ledger).ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            // An identity with the queue roles only: the status without the budget.
            usage = BudgetUsage.Empty;
        }

        return new RelayQueueStatus
        {
            Queue = queue.Name,
            Account = queue.AccountName,
            Waiting = waiting,
            OldestAge = oldest?.InsertedOn is { } inserted ? now - inserted : null,
            DeadLettered = await CountAsync(failed, cancellationToken).ConfigureAwait(false),
            Poison = await CountAsync(poison, cancellationToken).ConfigureAwait(false),
            Blobs = blobCount,
            BlobBytes = blobBytes,
            Budget = usage.Budget?.ToString(),
            BudgetUse = usage.Describe(null, now),
            NextSendAt = usage.NextSendAt(null, now),
            ReadAt = now,
        };
    }, cancellationToken);

    private static async Task<int> CountAsync(QueueClient client, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
        }
    }
}
