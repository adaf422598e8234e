using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary><c>dotnet SmtpOps.TestServers.dll latency-proxy --target-port N --delay-ms N [--port N] [--log PATH] [--ready-file PATH]</c>.</summary>
internal static class LatencyProxyCommand
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers latency-proxy --target-port N --delay-ms N [--port N] [--log PATH] [--ready-file PATH]
          Runs a TCP proxy on 127.0.0.1 to 127.0.0.1:TARGET-PORT until SIGTERM or Ctrl+C, delaying each direction by
          DELAY-MS (10 = a 20 ms round trip), in order and without throttling. Each closed connection appends
          "turns clientChunks clientBytes serverBytes" to --log (turns: the round trips the client waited for).
          --ready-file receives {"port","pid"} once listening.
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken stop)
    {
        int? target = null;
        int? delay = null;
        var port = 0;
        string? log = null;
        string? readyFile = null;
        try
        {
            for (var i = 1; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                int Number()
                {
                    var name = args[i];
                    var text = Value();
                    return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : throw new ArgumentException($"{name} takes a number, not '{text}'.");
                }

                switch (args[i])
                {
                    case "--target-port":
                        target = Number();
                        break;
                    case "--delay-ms":
                        delay = Number();
                        break;
                    case "--port":
                        port = Number();
                        break;
                    case "--log":
                        log = Value();
                        break;
                    case "--ready-file":
                        readyFile = Value();
                        break;
                    default:
                        throw new ArgumentException($"Unknown argument: {args[i]}");
                }
            }

            if (target is null || delay is null)
            {
                throw new ArgumentException("--target-port and --delay-ms are required.");
            }
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Environment.NewLine + Usage.TrimEnd()).ConfigureAwait(false);
            return 2;
        }

        await using var proxy = LatencyProxy.Start(target.Value, TimeSpan.FromMilliseconds(delay.Value), port, log);
        if (readyFile is not null)
        {
            Program.WriteReadyFile(readyFile, proxy.Port, certificate: null, caCertificatePath: null);
        }

        await Program.RunUntilStoppedAsync("latency-proxy", proxy.Port, stop).ConfigureAwait(false);
        return 0;
    }
}
