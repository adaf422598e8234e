using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary><c>dotnet SmtpOps.TestServers.dll smtp-sink --dir PATH [--port N] ...</c>: the test SMTP server as a process.</summary>
internal static class SmtpSinkCommand
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers smtp-sink --dir PATH [--port N] [--starttls | --implicit-tls]
                                             [--user NAME:PASSWORD]... [--allow-unsecure-auth]
                                             [--reject ADDRESS]... [--fail-data N] [--ready-file PATH]
          Runs a test SMTP server on 127.0.0.1 until SIGTERM or Ctrl+C. Accepted messages are written to
          PATH as 000001.eml (+ 000001.envelope.json) as they arrive; each connection appends to sessions.log.
          --ready-file receives {"port","pid","certificateThumbprint","certificateSha256"} once listening.
        """;

    public static async Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        var (options, readyFile) = Read(arguments);
        await using var server = await TestSmtpServer.StartAsync(options, stop).ConfigureAwait(false);
        if (readyFile is not null)
        {
            Program.WriteReadyFile(readyFile, server.Port, server.Certificate, caCertificatePath: null);
        }

        await Program.RunUntilStoppedAsync("smtp-sink", server.Port, stop).ConfigureAwait(false);
        return 0;
    }

    static (TestSmtpServerOptions Options, string? ReadyFile) Read(CommandLineArguments arguments)
    {
        string? directory = null;
        string? readyFile = null;
        var port = 0;
        var tls = TestSmtpTls.None;
        var allowUnsecureAuthentication = false;
        var failDataTimes = 0;
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        var rejects = new List<string>();
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--dir": directory = arguments.Value(); break;
                case "--port": port = arguments.Port(); break;
                case "--starttls": tls = TestSmtpTls.StartTls; break;
                case "--implicit-tls": tls = TestSmtpTls.Implicit; break;
                case "--user":
                    var (name, password) = arguments.Pair("NAME:PASSWORD");
                    users[name] = password;
                    break;
                case "--allow-unsecure-auth": allowUnsecureAuthentication = true; break;
                case "--reject": rejects.Add(arguments.Value()); break;
                case "--fail-data": failDataTimes = arguments.Number(); break;
                case "--ready-file": readyFile = arguments.Value(); break;
                default: throw arguments.Unknown();
            }
        }

        var options = new TestSmtpServerOptions
        {
            MessageDirectory = CommandLineArguments.Required(directory, "--dir"),
            Port = port,
            Tls = tls,
            Users = users.Count > 0 ? users : null,
            AllowUnsecureAuthentication = allowUnsecureAuthentication,
            RejectRecipients = rejects,
            FailDataTimes = failDataTimes,
        };
        return (options, readyFile);
    }
}
