using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Azure.Storage.Queues;
using SmtpOps.Identity;

namespace SmtpOps.Relay;

// Listing the queues of an account that can be relay queues (for completion).
public sealed partial class RelayQueueInspector
{
    /// <summary>
    /// Lists the queues of an account that can be relay queues: all but the <c>-failed</c> and <c>-poison</c> ones
    /// (for completion: one request, no retries, a few seconds at most).
    /// </summary>
    /// <param name="connectionString">The Storage connection string.</param>
    /// <param name="prefix">The start of the names to list; empty: all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The queue names, at most 100.</returns>
    /// <exception cref="RelayStorageException">The connection string cannot be parsed.</exception>
    public static async Task<IReadOnlyList<string>> ListQueuesAsync(string connectionString, string? prefix = null, CancellationToken cancellationToken = default)
    {
        var quick = new StorageRetryPolicy { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(3) };
        QueueServiceClient service;
        try
        {
            service = new QueueServiceClient(connectionString, quick.ApplyTo(new QueueClientOptions()));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new RelayStorageException(RelayStorageFailureKind.InvalidConnectionString, $"The Storage connection string is malformed: {ex.Message}", ex);
        }

        return await ListRelayQueuesAsync(service, prefix, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the queues that can be relay queues, as <see cref="ListQueuesAsync(string, string?, CancellationToken)"/>, with a Microsoft Entra access token for Storage.</summary>
    /// <param name="queueServiceUri">The queue service, e.g. https://account.queue.core.windows.net.</param>
    /// <param name="accessToken">The bearer token.</param>
    /// <param name="prefix">The start of the names to list; empty: all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The queue names, at most 100.</returns>
    public static Task<IReadOnlyList<string>> ListQueuesAsync(Uri queueServiceUri, string accessToken, string? prefix = null, CancellationToken cancellationToken = default)
    {
        var quick = new StorageRetryPolicy { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(3) };
        var service = new QueueServiceClient(queueServiceUri, new AccessTokenCredential(accessToken), quick.ApplyTo(new QueueClientOptions()));
        return ListRelayQueuesAsync(service, prefix, cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> ListRelayQueuesAsync(QueueServiceClient service, string? prefix, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var item in service.GetQueuesAsync(prefix: string.IsNullOrEmpty(prefix) ? null : prefix, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (RelayStorage.CanBeRelayQueue(item.Name))
            {
                names.Add(item.Name);
                if (names.Count == 100)
                {
                    break;
                }
            }
        }

        return names;
    }
}
