using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading.Tasks;

namespace SmtpOps.Benchmarks;

/// <summary>
/// <c>dotnet SmtpOps.Benchmarks.dll mailkit-bulk|dns-raw|mailkit-concurrent|relay-enqueue|relay-status ...</c>: the raw-library limits that ./build.ps1 bench compares
/// SmtpOps against. Each command prints one JSON object (elapsed milliseconds and counts) on standard output.
/// </summary>
internal static class Program
{
    const string Usage =
        """
        usage: SmtpOps.Benchmarks mailkit-bulk --port N --count N [--warmup N]
                 N small messages over one MailKit connection (async API) to 127.0.0.1:PORT, after WARMUP untimed ones (1).
               SmtpOps.Benchmarks dns-raw --port N --domains FILE --concurrency N
                 for each domain in FILE: MX, then A and AAAA of the first exchange, DnsClient against 127.0.0.1:PORT, no cache.
               SmtpOps.Benchmarks mailkit-concurrent --port N --count N --concurrency N --user NAME --password TEXT --thumbprint HEX
                 N small messages over CONCURRENCY MailKit connections (STARTTLS + AUTH once each) to 127.0.0.1:PORT.
               SmtpOps.Benchmarks relay-enqueue --queue NAME --count N --concurrency N
                 N small messages on the relay queue through SmtpRelayClient; the connection string is in SMTPOPS_BENCH_STORAGE.
               SmtpOps.Benchmarks relay-status --queue NAME
                 messages left in the relay queue, its -failed queue and its -poison queue (SMTPOPS_BENCH_STORAGE).
        """;

    static async Task<int> Main(string[] args)
    {
        try
        {
            var options = ParseOptions(args);
            string json = (args.Length > 0 ? args[0] : string.Empty) switch
            {
                "mailkit-bulk" => await MailKitBulk.RunAsync(Int(options, "--port"), Int(options, "--count"), options.ContainsKey("--warmup") ? Int(options, "--warmup") : 1).ConfigureAwait(false),
                "dns-raw" => await DnsRaw.RunAsync(Int(options, "--port"), Text(options, "--domains"), Int(options, "--concurrency")).ConfigureAwait(false),
                "mailkit-concurrent" => await MailKitConcurrent.RunAsync(Int(options, "--port"), Int(options, "--count"), Int(options, "--concurrency"), Text(options, "--user"), Text(options, "--password"), Text(options, "--thumbprint")).ConfigureAwait(false),
                "relay-enqueue" => await RelayEnqueue.RunAsync(StorageConnection(), Text(options, "--queue"), Int(options, "--count"), Int(options, "--concurrency")).ConfigureAwait(false),
                "relay-status" => await RelayStatus.RunAsync(StorageConnection(), Text(options, "--queue")).ConfigureAwait(false),
                _ => throw new ArgumentException("The first argument must be the command: mailkit-bulk, dns-raw, mailkit-concurrent, relay-enqueue or relay-status."),
            };
            Console.WriteLine(json);
            return 0;
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Usage).ConfigureAwait(false);
            return 2;
        }
    }

    static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value.");
            }

            options[args[i]] = args[++i];
        }

        return options;
    }

    static string Text(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"{name} is required.");

    static string StorageConnection() =>
        Environment.GetEnvironmentVariable("SMTPOPS_BENCH_STORAGE") is { Length: > 0 } value ? value : throw new ArgumentException("SMTPOPS_BENCH_STORAGE (the Storage connection string) is not set.");

    static int Int(Dictionary<string, string> options, string name) =>
        int.TryParse(Text(options, name), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{name} takes a positive number.");
}
