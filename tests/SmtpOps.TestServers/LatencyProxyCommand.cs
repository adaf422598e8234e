using System;
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

    public static async Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        int? target = null;
        int? delay = null;
        var port = 0;
        string? log = null;
        string? readyFile = null;
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--target-port": target = arguments.Port(); break;
                case "--delay-ms": delay = arguments.Number(); break;
                case "--port": port = arguments.Port(); break;
                case "--log": log = arguments.Value(); break;
                case "--ready-file": readyFile = arguments.Value(); break;
                default: throw arguments.Unknown();
            }
        }

        var targetPort = CommandLineArguments.Required(target, "--target-port");
        var delayMilliseconds = CommandLineArguments.Required(delay, "--delay-ms");
        await using var proxy = LatencyProxy.Start(targetPort, TimeSpan.FromMilliseconds(delayMilliseconds), port, log);
        if (readyFile is not null)
        {
            Program.WriteReadyFile(readyFile, proxy.Port, certificate: null, caCertificatePath: null);
        }

        await Program.RunUntilStoppedAsync("latency-proxy", proxy.Port, stop).ConfigureAwait(false);
        return 0;
    }
}
