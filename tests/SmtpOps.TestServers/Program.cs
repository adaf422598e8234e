using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>Out-of-process use (Pester tests, the demo, the bench): <c>dotnet SmtpOps.TestServers.dll smtp-sink|scripted-smtp|dns-server|graph|acs|latency-proxy|hostile-smtp|legacy-tls-smtp|test-trust ...</c>.</summary>
internal static class Program
{
    // Each command: its name, its usage (name first; shown by '<command> --help' and with a usage error) and what runs it.
    // A command reads its arguments through CommandLineArguments before it starts anything; a CommandLineException
    // from that is a usage error.
    static readonly (string Name, string Usage, Func<CommandLineArguments, CancellationToken, Task<int>> RunAsync)[] Commands =
    [
        ("smtp-sink", SmtpSinkCommand.Usage, SmtpSinkCommand.RunAsync),
        ("scripted-smtp", ScriptedSmtpCommandLine.Usage, ScriptedSmtpCommandLine.RunAsync),
        ("test-trust", TestTrustCommand.Usage, TestTrustCommand.RunAsync),
        ("dns-server", DnsServerCommand.Usage, DnsServerCommand.RunAsync),
        ("graph", Graph.GraphEndpointCommand.Usage, Graph.GraphEndpointCommand.RunAsync),
        ("acs", Acs.AcsEndpointCommand.Usage, Acs.AcsEndpointCommand.RunAsync),
        ("latency-proxy", LatencyProxyCommand.Usage, LatencyProxyCommand.RunAsync),
        ("hostile-smtp", HostileSmtpCommand.Usage, HostileSmtpCommand.RunAsync),
        ("legacy-tls-smtp", LegacyTlsSmtpCommand.Usage, LegacyTlsSmtpCommand.RunAsync),
    ];

    // One block: a line on what this is, then each command's usage, separated by a blank line.
    static readonly string Usage = string.Join(
        Environment.NewLine + Environment.NewLine,
        Commands.Select(command => command.Usage.TrimEnd()).Prepend(
            "SmtpOps.TestServers: SMTP, DNS, Graph and ACS servers on 127.0.0.1 for the tests and the demo. '<command> --help' shows one command."));

    static async Task<int> Main(string[] args)
    {
        // Every command runs until SIGTERM or Ctrl+C, and then stops itself cleanly.
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            // Asked for: usage on stdout, success. Nothing given: usage on stderr, a usage error.
            await (args.Length == 0 ? Console.Error : Console.Out).WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Length == 0 ? 2 : 0;
        }

        var command = Array.Find(Commands, command => command.Name == args[0]);
        var usage = command.Name is null ? Usage : command.Usage.TrimEnd();
        if (args.Skip(1).Any(arg => arg is "--help" or "-h"))
        {
            await Console.Out.WriteLineAsync(usage).ConfigureAwait(false);
            return 0;
        }

        try
        {
            return command.Name is null
                ? throw new CommandLineException($"The first argument must be the command: {string.Join(", ", Commands.Select(c => c.Name))}.")
                : await command.RunAsync(new CommandLineArguments(args), stop.Token).ConfigureAwait(false);
        }
        catch (CommandLineException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Environment.NewLine + usage).ConfigureAwait(false);
            return 2;
        }
    }

    internal static async Task RunUntilStoppedAsync(string name, int port, CancellationToken stop)
    {
        Console.WriteLine($"{name} listening on 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        try
        {
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM or Ctrl+C
        }

        Console.WriteLine($"{name} stopping");
    }

    internal static void WriteReadyFile(string path, int port, X509Certificate2? certificate, string? caCertificatePath)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new
        {
            port,
            pid = Environment.ProcessId,
            certificateThumbprint = certificate?.Thumbprint,
            certificateSha256 = certificate?.GetCertHashString(HashAlgorithmName.SHA256),
            caCertificatePath,
        });
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var temporary = fullPath + ".tmp";
        File.WriteAllBytes(temporary, json);
        File.Move(temporary, fullPath, overwrite: true);
    }
}
