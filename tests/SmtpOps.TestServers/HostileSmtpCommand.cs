using System;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary><c>dotnet SmtpOps.TestServers.dll hostile-smtp --behaviour NAME [--max-mb N] [--drip-ms N] [--ready-file PATH]</c>.</summary>
internal static class HostileSmtpCommand
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers hostile-smtp --behaviour endless-greeting-line|endless-line-after-ehlo|huge-ehlo-reply|dripped-greeting
                 [--max-mb N] [--drip-ms N] [--ready-file PATH]
          Runs a raw TCP server on 127.0.0.1 that attacks SMTP clients until SIGTERM or Ctrl+C: a greeting line that never
          ends, an EHLO reply line that never ends, an EHLO reply of --max-mb megabytes in short lines (default 400), or a
          greeting sent one byte every --drip-ms milliseconds (default 1000). It stops sending to a client after --max-mb.
          --ready-file receives {"port","pid"} once listening.
        """;

    static readonly string[] Behaviours = ["endless-greeting-line", "endless-line-after-ehlo", "huge-ehlo-reply", "dripped-greeting"];

    public static async Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        string? behaviour = null;
        var maxMegabytes = 400;
        var dripMilliseconds = 1000;
        string? readyFile = null;
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--behaviour": behaviour = arguments.OneOf(Behaviours); break;
                case "--max-mb": maxMegabytes = arguments.Number(); break;
                case "--drip-ms": dripMilliseconds = arguments.Number(); break;
                case "--ready-file": readyFile = arguments.Value(); break;
                default: throw arguments.Unknown();
            }
        }

        var kind = CommandLineArguments.Required(behaviour, "--behaviour") switch
        {
            "endless-greeting-line" => HostileSmtpBehaviour.EndlessGreetingLine,
            "endless-line-after-ehlo" => HostileSmtpBehaviour.EndlessLineAfterEhlo,
            "huge-ehlo-reply" => HostileSmtpBehaviour.HugeEhloReply,
            _ => HostileSmtpBehaviour.DrippedGreeting,
        };
        await using var server = HostileSmtpServer.Start(kind, maxMegabytes * 1024L * 1024, TimeSpan.FromMilliseconds(dripMilliseconds));
        if (readyFile is not null)
        {
            Program.WriteReadyFile(readyFile, server.Port, certificate: null, caCertificatePath: null);
        }

        await Program.RunUntilStoppedAsync("hostile-smtp", server.Port, stop).ConfigureAwait(false);
        return 0;
    }
}
