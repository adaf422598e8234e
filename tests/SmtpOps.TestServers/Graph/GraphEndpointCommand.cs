using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers.Graph;

/// <summary><c>dotnet SmtpOps.TestServers.dll graph --dir PATH [--port N] [--throttle K:SECONDS] [--deny K] [--unavailable K:SECONDS] [--ready-file PATH]</c>.</summary>
internal static class GraphEndpointCommand
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers graph --dir PATH [--port N] [--throttle K:SECONDS] [--deny K] [--unavailable K:SECONDS]
                                         [--ready-file PATH]
          Runs the Microsoft Graph mail-sending contract endpoint on http://127.0.0.1:PORT/ (API under v1.0/) until SIGTERM
          or Ctrl+C. Accepted messages are written to PATH as 000001.eml + 000001.json ({mailbox, route, attachments:
          [{name, contentType, contentId, isInline, size, path}]}); refusals of what a real Graph refuses are appended to
          PATH/violations.log. --throttle answers the next K API requests 429 with Retry-After SECONDS, --deny 403
          ErrorAccessDenied, --unavailable 503. --ready-file receives {"port","pid"} once listening.
        """;

    public static async Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        string? directory = null;
        string? readyFile = null;
        var port = 0;
        var script = new List<(GraphFault Fault, int Times, int Seconds)>();
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--dir": directory = arguments.Value(); break;
                case "--port": port = arguments.Port(); break;
                case "--throttle" or "--unavailable":
                    var parts = arguments.Value().Split(':');
                    var fault = option == "--throttle" ? GraphFault.Throttle : GraphFault.Unavailable;
                    script.Add((fault, arguments.Number(parts[0]), parts.Length > 1 ? arguments.Number(parts[1]) : 1));
                    break;
                case "--deny": script.Add((GraphFault.AccessDenied, arguments.Number(), 0)); break;
                case "--ready-file": readyFile = arguments.Value(); break;
                default: throw arguments.Unknown();
            }
        }

        var folder = Path.GetFullPath(CommandLineArguments.Required(directory, "--dir"));
        Directory.CreateDirectory(folder);
        await using var endpoint = GraphContractEndpoint.Start(Path.Combine(folder, "uploads"), port);
        foreach (var (fault, times, seconds) in script)
        {
            endpoint.Script(fault, times, seconds);
        }

        if (readyFile is not null)
        {
            Program.WriteReadyFile(readyFile, endpoint.BaseUrl.Port, certificate: null, caCertificatePath: null);
        }

        Console.WriteLine($"graph listening on 127.0.0.1:{endpoint.BaseUrl.Port.ToString(CultureInfo.InvariantCulture)}");
        var written = 0;
        while (!stop.IsCancellationRequested)
        {
            while (endpoint.Sent.TryDequeue(out var sent))
            {
                // The manifest first and the message by rename last: a reader that sees NNNNNN.eml finds both whole
                // (a 5 MB message written in place was seen before its manifest existed).
                var stem = Path.Combine(folder, (++written).ToString("D6", CultureInfo.InvariantCulture));
                var manifest = JsonSerializer.SerializeToUtf8Bytes(new
                {
                    mailbox = sent.Mailbox,
                    route = sent.Route,
                    attachments = sent.Attachments.Select(a => new { name = a.Name, contentType = a.ContentType, contentId = a.ContentId, isInline = a.IsInline, size = a.Size, path = a.Path }),
                });
                await File.WriteAllBytesAsync(stem + ".json", manifest, CancellationToken.None).ConfigureAwait(false);
                await File.WriteAllBytesAsync(stem + ".eml.partial", sent.Mime, CancellationToken.None).ConfigureAwait(false);
                File.Move(stem + ".eml.partial", stem + ".eml");
            }

            while (endpoint.Violations.TryDequeue(out var violation))
            {
                await File.AppendAllTextAsync(Path.Combine(folder, "violations.log"), violation + Environment.NewLine, CancellationToken.None).ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(100, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or Ctrl+C
            }
        }

        Console.WriteLine("graph stopping");
        return 0;
    }
}
