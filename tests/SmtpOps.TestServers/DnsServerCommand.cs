using System;
using System.Globalization;
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

    public static async Task<int> RunAsync(string[] args, CancellationToken stop)
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
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Environment.NewLine + Usage.TrimEnd()).ConfigureAwait(false);
            return 2;
        }

        await using var server = await TestDnsServer.StartAsync(TestDnsZone.FromJsonFile(zonePath), port).ConfigureAwait(false);
        if (readyFile is not null)
        {
            Program.WriteReadyFile(readyFile, server.Port, certificate: null, caCertificatePath: null);
        }

        await Program.RunUntilStoppedAsync("dns-server", server.Port, stop).ConfigureAwait(false);
        return 0;
    }
}
