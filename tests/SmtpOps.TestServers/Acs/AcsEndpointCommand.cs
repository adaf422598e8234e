using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers.Acs;

/// <summary><c>dotnet SmtpOps.TestServers.dll acs --dir PATH [--port N] [--access-key KEY] [--throttle K:SECONDS] [--lose-accepted K] [--drop K] [--deny K] [--ready-file PATH]</c>.</summary>
internal static class AcsEndpointCommand
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers acs --dir PATH [--port N] [--access-key KEY] [--throttle K:SECONDS] [--lose-accepted K]
                                       [--drop K] [--deny K] [--ready-file PATH]
          Runs the Azure Communication Services Email contract endpoint on http://127.0.0.1:PORT/ until SIGTERM or Ctrl+C.
          Each message sent is written to PATH as 000001.json: {operationId, apiVersion, authentication, repeats, request}
          (the request body as received); refusals of what a real ACS refuses are appended to PATH/violations.log and every
          request to PATH/requests.log. --access-key (Base64) enables HMAC-signed requests (Entra tokens are always
          taken). The next K send requests are answered: --throttle 429 with Retry-After SECONDS, --lose-accepted sent and
          the 202 lost, --drop accepted and the operation Failed (EmailDropped), --deny 403. --ready-file receives
          {"port","pid"} once listening.
        """;

    public static async Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        string? directory = null;
        string? readyFile = null;
        string? accessKey = null;
        var port = 0;
        var script = new List<(AcsFault Fault, int Times, int Seconds)>();
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--dir": directory = arguments.Value(); break;
                case "--port": port = arguments.Port(); break;
                case "--access-key": accessKey = arguments.Value(); break;
                case "--throttle":
                    var parts = arguments.Value().Split(':');
                    script.Add((AcsFault.Throttle, arguments.Number(parts[0]), parts.Length > 1 ? arguments.Number(parts[1]) : 1));
                    break;
                case "--lose-accepted": script.Add((AcsFault.LoseAcceptedAnswer, arguments.Number(), 0)); break;
                case "--drop": script.Add((AcsFault.DropEmail, arguments.Number(), 0)); break;
                case "--deny": script.Add((AcsFault.Forbidden, arguments.Number(), 0)); break;
                case "--ready-file": readyFile = arguments.Value(); break;
                default: throw arguments.Unknown();
            }
        }

        var folder = Path.GetFullPath(CommandLineArguments.Required(directory, "--dir"));
        Directory.CreateDirectory(folder);
        await using var endpoint = AcsContractEndpoint.Start(accessKey, port);
        foreach (var (fault, times, seconds) in script)
        {
            endpoint.Script(fault, times, seconds);
        }

        if (readyFile is not null)
        {
            Program.WriteReadyFile(readyFile, endpoint.BaseUrl.Port, certificate: null, caCertificatePath: null);
        }

        Console.WriteLine($"acs listening on 127.0.0.1:{endpoint.BaseUrl.Port.ToString(CultureInfo.InvariantCulture)}");
        var written = 0;
        while (!stop.IsCancellationRequested)
        {
            while (endpoint.Sent.TryDequeue(out var sent))
            {
                // Written whole under a temporary name and renamed: a reader never sees half a file.
                var stem = Path.Combine(folder, (++written).ToString("D6", CultureInfo.InvariantCulture));
                using var request = JsonDocument.Parse(sent.Body);
                var record = JsonSerializer.SerializeToUtf8Bytes(new { operationId = sent.OperationId, apiVersion = sent.ApiVersion, authentication = sent.Authentication, request = request.RootElement });
                await File.WriteAllBytesAsync(stem + ".json.partial", record, CancellationToken.None).ConfigureAwait(false);
                File.Move(stem + ".json.partial", stem + ".json");
            }

            while (endpoint.Requests.TryDequeue(out var answered))
            {
                await File.AppendAllTextAsync(Path.Combine(folder, "requests.log"), $"{answered.Method} {answered.Path} {answered.Status} {answered.ErrorCode} {answered.OperationId}{Environment.NewLine}", CancellationToken.None).ConfigureAwait(false);
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

        Console.WriteLine("acs stopping");
        return 0;
    }
}
