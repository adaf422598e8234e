using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using DnsClient.Protocol;

namespace SmtpOps.Benchmarks;

/// <summary>
/// The limit for MX resolution: DnsClient queries at a fixed concurrency, no cache, the same queries
/// Resolve-MailExchanger makes for a simple domain (MX, then A and AAAA of the exchange), no RFC 5321 logic.
/// The domains are resolved twice in the same process and only the second pass is timed (steady state).
/// </summary>
internal static class DnsRaw
{
    public static async Task<string> RunAsync(int port, string domainsFile, int concurrency)
    {
        var domains = File.ReadAllLines(domainsFile).Where(line => line.Length > 0).ToArray();
        var client = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Loopback, port))
        {
            UseCache = false,
            Retries = 1,
            Timeout = TimeSpan.FromSeconds(5),
            ContinueOnDnsError = false,
        });
        var failures = 0;
        using var gate = new SemaphoreSlim(concurrency);

        async Task PassAsync()
        {
            var tasks = domains.Select(async domain =>
            {
                await gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    var mx = await client.QueryAsync(domain, QueryType.MX).ConfigureAwait(false);
                    var exchange = mx.Answers.OfType<MxRecord>().OrderBy(record => record.Preference).FirstOrDefault();
                    if (exchange is null)
                    {
                        Interlocked.Increment(ref failures);
                        return;
                    }

                    var name = exchange.Exchange.Value.TrimEnd('.');
                    await Task.WhenAll(client.QueryAsync(name, QueryType.A), client.QueryAsync(name, QueryType.AAAA)).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            }).ToArray();
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }

        // One untimed pass first: the JIT warms up, as Resolve-MailExchanger's is before it is timed.
        var warmup = System.Diagnostics.Stopwatch.StartNew();
        await PassAsync().ConfigureAwait(false);
        warmup.Stop();
        failures = 0;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await PassAsync().ConfigureAwait(false);
        stopwatch.Stop();
        return JsonSerializer.Serialize(new { command = "dns-raw", count = domains.Length, concurrency, failures, elapsedMs = stopwatch.Elapsed.TotalMilliseconds, warmupMs = warmup.Elapsed.TotalMilliseconds });
    }
}
