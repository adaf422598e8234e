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

    public static async Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        string? zonePath = null;
        string? readyFile = null;
        var port = 0;
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--zone": zonePath = arguments.Value(); break;
                case "--port": port = arguments.Port(); break;
                case "--ready-file": readyFile = arguments.Value(); break;
                default: throw arguments.Unknown();
            }
        }

        var zone = TestDnsZone.FromJsonFile(CommandLineArguments.Required(zonePath, "--zone"));
        await using var server = await TestDnsServer.StartAsync(zone, port).ConfigureAwait(false);
        if (readyFile is not null)
        {
            Program.WriteReadyFile(readyFile, server.Port, certificate: null, caCertificatePath: null);
        }

        await Program.RunUntilStoppedAsync("dns-server", server.Port, stop).ConfigureAwait(false);
        return 0;
    }
}
