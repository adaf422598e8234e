using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Relay;

namespace SmtpOps.Benchmarks;

/// <summary>
/// Fills the relay queue for the relay benchmark: the same small messages as <see cref="MailKitConcurrent"/>,
/// through <see cref="SmtpRelayClient"/> as a cloud app would enqueue them. Not the measured part.
/// </summary>
internal static class RelayEnqueue
{
    public static async Task<string> RunAsync(string connectionString, string queueName, int count, int concurrency)
    {
        var client = SmtpRelayClient.Create(connectionString, queueName);
        var stopwatch = Stopwatch.StartNew();
        var next = 0;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) <= count)
            {
                await client.EnqueueAsync(Create(index)).ConfigureAwait(false);
            }
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
        stopwatch.Stop();
        return JsonSerializer.Serialize(new { command = "relay-enqueue", count, concurrency, elapsedMs = stopwatch.Elapsed.TotalMilliseconds });
    }

    static MailMessageDefinition Create(int index) => new()
    {
        From = BenchMessage.From,
        To = new[] { BenchMessage.To },
        Subject = BenchMessage.Subject(index),
        TextBody = BenchMessage.Body,
    };
}
