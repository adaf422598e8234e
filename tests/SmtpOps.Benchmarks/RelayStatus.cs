using System.Text.Json;
using System.Threading.Tasks;
using Azure.Storage.Queues;
using SmtpOps.Relay;

namespace SmtpOps.Benchmarks;

/// <summary>What is left after a relay run: messages still queued, dead-letter records and poison messages (all must be 0).</summary>
internal static class RelayStatus
{
    public static async Task<string> RunAsync(string connectionString, string queueName)
    {
        var queued = await CountAsync(connectionString, queueName).ConfigureAwait(false);
        var failed = await CountAsync(connectionString, RelayStorage.FailedQueueName(queueName)).ConfigureAwait(false);
        var poison = await CountAsync(connectionString, RelayStorage.PoisonQueueName(queueName)).ConfigureAwait(false);
        return JsonSerializer.Serialize(new { command = "relay-status", queued, failed, poison });
    }

    static async Task<int> CountAsync(string connectionString, string queueName)
    {
        var queue = new QueueClient(connectionString, queueName);
        return await queue.ExistsAsync().ConfigureAwait(false) is { Value: true }
            ? (await queue.GetPropertiesAsync().ConfigureAwait(false)).Value.ApproximateMessagesCount
            : 0;
    }
}
