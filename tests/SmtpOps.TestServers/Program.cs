using System;
using System.Collections.Generic;
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

/// <summary>Out-of-process use (Pester tests, the demo, the bench): <c>dotnet SmtpOps.TestServers.dll smtp-sink|scripted-smtp|dns-server|graph|latency-proxy|test-trust ...</c>.</summary>
internal static class Program
{
    const string TrustUsage =
        """
        usage: SmtpOps.TestServers test-trust --out DIR
          Creates a private CA for a test run in DIR (ca.pem, ca.key.pem) and bundle.pem (the system's roots plus the CA),
          prints the bundle's path: a process started with SSL_CERT_FILE set to it trusts the CA.
        """;

    const string SinkUsage =
        """
        usage: SmtpOps.TestServers smtp-sink --dir PATH [--port N] [--starttls | --implicit-tls]
                                             [--user NAME:PASSWORD]... [--allow-unsecure-auth]
                                             [--reject ADDRESS]... [--fail-data N] [--ready-file PATH]
          Runs a test SMTP server on 127.0.0.1 until SIGTERM or Ctrl+C. Accepted messages are written to
          PATH as 000001.eml (+ 000001.envelope.json) as they arrive; each connection appends to sessions.log.
          --ready-file receives {"port","pid","certificateThumbprint","certificateSha256"} once listening.
        """;

    // One block: a line on what this is, then each command's usage, separated by a blank line.
    static readonly string Usage = string.Join(
        Environment.NewLine + Environment.NewLine,
        "SmtpOps.TestServers: SMTP, DNS and Graph servers on 127.0.0.1 for the tests and the demo. '<command> --help' shows one command.",
        SinkUsage.TrimEnd(),
        ScriptedSmtpCommandLine.Usage.TrimEnd(),
        TrustUsage.TrimEnd(),
        DnsServerCommand.Usage.TrimEnd(),
        Graph.GraphEndpointCommand.Usage.TrimEnd(),
        LatencyProxyCommand.Usage.TrimEnd());

    static string UsageOf(string command) => command switch
    {
        "smtp-sink" => SinkUsage.TrimEnd(),
        "scripted-smtp" => ScriptedSmtpCommandLine.Usage.TrimEnd(),
        "dns-server" => DnsServerCommand.Usage.TrimEnd(),
        "test-trust" => TrustUsage.TrimEnd(),
        "graph" => Graph.GraphEndpointCommand.Usage.TrimEnd(),
        "latency-proxy" => LatencyProxyCommand.Usage.TrimEnd(),
        _ => Usage,
    };

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

        if (args.Skip(1).Any(arg => arg is "--help" or "-h"))
        {
            await Console.Out.WriteLineAsync(UsageOf(args[0])).ConfigureAwait(false);
            return 0;
        }

        if (args[0] == "test-trust")
        {
            return TestTrustCommand(args);
        }

        if (args.Length > 0 && args[0] == "dns-server")
        {
            return await DnsServerCommand.RunAsync(args, stop.Token).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "graph")
        {
            return await Graph.GraphEndpointCommand.RunAsync(args, stop.Token).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "latency-proxy")
        {
            return await LatencyProxyCommand.RunAsync(args, stop.Token).ConfigureAwait(false);
        }

        TestSmtpServerOptions? sink = null;
        string? sinkReadyFile = null;
        ScriptedSmtpCommandLine? scripted = null;
        try
        {
            switch (args.Length > 0 ? args[0] : string.Empty)
            {
                case "smtp-sink":
                    (sink, sinkReadyFile) = Parse(args);
                    break;
                case "scripted-smtp":
                    scripted = ScriptedSmtpCommandLine.Parse(args);
                    break;
                default:
                    throw new ArgumentException("The first argument must be the command: smtp-sink, scripted-smtp, dns-server, graph, latency-proxy or test-trust.");
            }
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Environment.NewLine + UsageOf(args[0])).ConfigureAwait(false);
            return 2;
        }

        if (scripted is not null)
        {
            await RunScriptedAsync(scripted, stop.Token).ConfigureAwait(false);
            return 0;
        }

        await using var server = await TestSmtpServer.StartAsync(sink!, stop.Token).ConfigureAwait(false);
        if (sinkReadyFile is not null)
        {
            WriteReadyFile(sinkReadyFile, server.Port, server.Certificate, caCertificatePath: null);
        }

        await RunUntilStoppedAsync("smtp-sink", server.Port, stop.Token).ConfigureAwait(false);
        return 0;
    }

    static async Task RunScriptedAsync(ScriptedSmtpCommandLine command, CancellationToken stop)
    {
        using var certificate = command.Certificate;
        using var authority = command.Authority;
        await using var crl = command.Crl;
        await using var server = await ScriptedSmtpServer.StartAsync(command.Options, stop).ConfigureAwait(false);
        string? caCertificatePath = null;
        if (authority is not null)
        {
            caCertificatePath = Path.ChangeExtension(Path.GetFullPath(command.ReadyFile), ".ca.pem");
            Directory.CreateDirectory(Path.GetDirectoryName(caCertificatePath)!);
            await File.WriteAllTextAsync(caCertificatePath, authority.ExportCertificatePem() + "\n", stop).ConfigureAwait(false);
        }

        WriteReadyFile(command.ReadyFile, server.Port, certificate, caCertificatePath);
        await RunUntilStoppedAsync("scripted-smtp", server.Port, stop).ConfigureAwait(false);
    }

    // test-trust --out DIR: a private CA for this test run and the trust bundle that makes a process trust it.
    static int TestTrustCommand(string[] args)
    {
        if (args.Length != 3 || args[1] != "--out")
        {
            Console.Error.WriteLine(TrustUsage.TrimEnd());
            return 2;
        }

        Console.WriteLine(TestTrustStore.Create(Path.GetFullPath(args[2])));
        return 0;
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

    static (TestSmtpServerOptions Options, string? ReadyFile) Parse(string[] args)
    {
        if (args.Length == 0 || args[0] != "smtp-sink")
        {
            throw new ArgumentException("The first argument must be the command: smtp-sink, scripted-smtp or dns-server.");
        }

        string? directory = null;
        string? readyFile = null;
        var port = 0;
        var tls = TestSmtpTls.None;
        var allowUnsecureAuthentication = false;
        var failDataTimes = 0;
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        var rejects = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--dir":
                    directory = Value();
                    break;
                case "--port":
                    port = ParseNumber(args[i], Value());
                    break;
                case "--starttls":
                    tls = TestSmtpTls.StartTls;
                    break;
                case "--implicit-tls":
                    tls = TestSmtpTls.Implicit;
                    break;
                case "--user":
                    var user = Value();
                    var colon = user.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0)
                    {
                        throw new ArgumentException("--user takes NAME:PASSWORD.");
                    }

                    users[user[..colon]] = user[(colon + 1)..];
                    break;
                case "--allow-unsecure-auth":
                    allowUnsecureAuthentication = true;
                    break;
                case "--reject":
                    rejects.Add(Value());
                    break;
                case "--fail-data":
                    failDataTimes = ParseNumber(args[i], Value());
                    break;
                case "--ready-file":
                    readyFile = Value();
                    break;
                default:
                    throw new ArgumentException($"Unknown argument: {args[i]}");
            }
        }

        var options = new TestSmtpServerOptions
        {
            MessageDirectory = directory ?? throw new ArgumentException("--dir is required."),
            Port = port,
            Tls = tls,
            Users = users.Count > 0 ? users : null,
            AllowUnsecureAuthentication = allowUnsecureAuthentication,
            RejectRecipients = rejects,
            FailDataTimes = failDataTimes,
        };
        return (options, readyFile);
    }

    static int ParseNumber(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new ArgumentException($"{name} takes a non-negative number, not '{value}'.");

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
