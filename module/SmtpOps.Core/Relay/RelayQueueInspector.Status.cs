using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Storage.Queues;

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
