using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary><c>dotnet SmtpOps.TestServers.dll dns-server --zone FILE.json [--port N] [--ready-file PATH]</c>.</summary>
internal static class DnsServerCommand
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers dns-server --zone FILE.json [--port N] [--ready-file PATH]
          Runs a test DNS server (UDP and TCP) on 127.0.0.1 until SIGTERM or Ctrl+C, answering from the zone:
          {"records":[{"name":"contoso.test","type":"MX","value":"10 mx1.contoso.test","ttl":300}, ...],
           "serverFailure":[names], "refused":[names], "silent":[names], "authenticated":[names]}
          --ready-file receives {"port","pid"} once listening.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        string? zonePath = null;
        string? readyFile = null;
        var port = 0;
        try
        {
            for (var i = 1; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--zone":
                        zonePath = Value();
                        break;
                    case "--port":
                        var text = Value();
                        port = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : throw new ArgumentException($"--port takes a number, not '{text}'.");
                        break;
                    case "--ready-file":
                        readyFile = Value();
                        break;
                    default:
                        throw new ArgumentException($"Unknown argument: {args[i]}");
                }
            }

            if (zonePath is null)
            {
                throw new ArgumentException("--zone is required.");
            }
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Usage).ConfigureAwait(false);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        await using var server = await TestDnsServer.StartAsync(TestDnsZone.FromJsonFile(zonePath), port).ConfigureAwait(false);
        if (readyFile is not null)
        {
            var fullPath = Path.GetFullPath(readyFile);
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            File.WriteAllBytes(fullPath + ".tmp", JsonSerializer.SerializeToUtf8Bytes(new { port = server.Port, pid = Environment.ProcessId }));
            File.Move(fullPath + ".tmp", fullPath, overwrite: true);
        }

        Console.WriteLine($"dns-server listening on 127.0.0.1:{server.Port.ToString(CultureInfo.InvariantCulture)} (UDP and TCP)");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM or Ctrl+C
        }

        Console.WriteLine("dns-server stopping");
        return 0;
    }
}
