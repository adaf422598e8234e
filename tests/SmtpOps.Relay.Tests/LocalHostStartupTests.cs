using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Relay.Hosting;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// How the LocalHost process fails: invalid settings and an unreachable Storage account end it at once
/// with one line per problem, a documented exit code, no stack trace and no secret; a Storage outage
/// after start is logged, survived, and the relay goes on when Storage is back.
/// </summary>
public sealed class LocalHostStartupTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void AssertNoStackTrace(IEnumerable<string> lines)
    {
        var snapshot = lines.ToList();
        Assert.DoesNotContain(snapshot, line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain(snapshot, line => line.Contains("Exception", StringComparison.Ordinal));
    }

    private static async Task<LocalHostProcess> RunToExitAsync(Dictionary<string, string> environment, TimeSpan bound)
    {
        var host = LocalHostProcess.Start(environment);
        var clock = Stopwatch.StartNew();
        Assert.True(await host.WaitForExitAsync(bound), $"LocalHost still running after {bound.TotalSeconds} s; its last lines:{Environment.NewLine}{host.Tail()}");
        Assert.True(clock.Elapsed < bound);
        return host;
    }

    [Fact]
    public async Task InvalidSettingsEndTheHostWithExitCode2AndOneLinePerProblemNoStackTraceNoSecret()
    {
        const string password = "Pa55-never-in-the-output";
        const string clientSecret = "Client-Secret-never-in-the-output";
        await using var host = await RunToExitAsync(
            new Dictionary<string, string>
            {
                ["RelayStorage"] = string.Empty,
                ["AzureWebJobsStorage"] = string.Empty,
                ["Relay__Smarthost__Password"] = password,
                ["Relay__OAuth__Mode"] = "ClientSecret",
                ["Relay__OAuth__ClientSecret"] = clientSecret,
            },
            TimeSpan.FromSeconds(30));

        Assert.Equal(RelayStartupCheck.InvalidSettingsExitCode, host.ExitCode);
        var lines = host.Lines.Where(line => line.Length > 0).ToList();
        Assert.All(lines, line => Assert.StartsWith("SmtpOps relay: configuration error: ", line, StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Relay:Smarthost:Host is not set", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Relay:Smarthost:Password is set but Relay:Smarthost:UserName is not", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Relay:OAuth:TenantId is required", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Relay:Policy:AllowedSenders is empty", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("No Storage connection", StringComparison.Ordinal));
        Assert.Equal(lines.Count, lines.Distinct().Count()); // each problem once, not the whole list twice
        AssertNoStackTrace(lines);
        Assert.DoesNotContain(lines, line => line.Contains(password, StringComparison.Ordinal) || line.Contains(clientSecret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnreadableValueOrConnectionStringIsASettingsErrorToo()
    {
        await using var port = await RunToExitAsync(
            new Dictionary<string, string>
            {
                ["RelayStorage"] = "UseDevelopmentStorage=true",
                ["Relay__Smarthost__Host"] = "127.0.0.1",
                ["Relay__Smarthost__Port"] = "submission",
                ["Relay__Policy__AllowedSenders__0"] = "contoso.test",
            },
            TimeSpan.FromSeconds(30));
        Assert.Equal(RelayStartupCheck.InvalidSettingsExitCode, port.ExitCode);
        Assert.Contains(port.Lines, line => line.StartsWith("SmtpOps relay: configuration error: ", StringComparison.Ordinal) && line.Contains("Relay:Smarthost:Port", StringComparison.Ordinal));
        AssertNoStackTrace(port.Lines);

        const string key = "S3cretAccountKeyValue";
        await using var storage = await RunToExitAsync(
            new Dictionary<string, string>
            {
                ["RelayStorage"] = $"AccountName=relay;AccountKey={key}",
                ["Relay__Smarthost__Host"] = "127.0.0.1",
                ["Relay__Policy__AllowedSenders__0"] = "contoso.test",
            },
            TimeSpan.FromSeconds(30));
        Assert.Equal(RelayStartupCheck.InvalidSettingsExitCode, storage.ExitCode);
        Assert.Contains(storage.Lines, line => line.StartsWith("SmtpOps relay: configuration error: RelayStorage (or AzureWebJobsStorage) is not a Storage connection string", StringComparison.Ordinal));
        Assert.DoesNotContain(storage.Lines, line => line.Contains(key, StringComparison.Ordinal));
        AssertNoStackTrace(storage.Lines);
    }

    [Fact]
    public async Task UnreachableStorageEndsTheHostWithExitCode3WithinSeconds()
    {
        var closed = ClosedPort();
        var connection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};" +
            $"BlobEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;";
        await using var host = await RunToExitAsync(
            new Dictionary<string, string>
            {
                ["RelayStorage"] = connection,
                ["AzureWebJobsStorage"] = connection,
                ["Relay__Smarthost__Host"] = "127.0.0.1",
                ["Relay__Policy__AllowedSenders__0"] = "contoso.test",
            },
            TimeSpan.FromSeconds(30));

        Assert.Equal(RelayStartupCheck.StorageUnavailableExitCode, host.ExitCode);
        var line = Assert.Single(host.Lines, l => l.Length > 0);
        Assert.Equal(
            $"SmtpOps relay: Storage unavailable: Storage account 'devstoreaccount1' (http://127.0.0.1:{closed}/devstoreaccount1/smtpops-relay) could not be reached (Connection refused (127.0.0.1:{closed})) after 3 tries. Check RelayStorage (account name, endpoints) and the network path to the account. The host did not start.",
            line);
        AssertNoStackTrace(host.Lines);
    }

    [Fact]
    public async Task AStorageOutageAfterStartIsLoggedAndSurvivedAndTheRelayGoesOnAfterIt()
    {
        var queueName = $"outage{Guid.NewGuid():N}".Substring(0, 20);
        await using var smarthost = await TestSmtpServer.StartAsync(new());
        var azurite = await AzuriteServer.StartAsync();
        var (blob, queue, table) = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
        var connection = azurite.ConnectionString;
        await using var host = LocalHostProcess.Start(new Dictionary<string, string>
        {
            ["RelayStorage"] = connection,
            ["AzureWebJobsStorage"] = connection,
            ["Relay__QueueName"] = queueName,
            ["Relay__Smarthost__Host"] = "127.0.0.1",
            ["Relay__Smarthost__Port"] = $"{smarthost.Port}",
            ["Relay__Smarthost__Security"] = "None",
            ["Relay__Policy__AllowedSenders__0"] = "contoso.test",
            ["Queues__MaxPollingInterval"] = "00:00:01",
            ["Queues__StorageCheckInterval"] = "00:00:01",
        });
        try
        {
            await WaitForLineAsync(host, "Application started");

            await azurite.DisposeAsync();
            await WaitForLineAsync(host, "Storage unavailable: Storage account 'devstoreaccount1'");
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.False(host.HasExited, $"LocalHost died in the outage:{Environment.NewLine}{host.Tail()}");

            azurite = await AzuriteServer.StartAsync(blob, queue, table);
            await WaitForLineAsync(host, "Storage answers again after");
            await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(new MailMessageDefinition
            {
                From = "reports@contoso.test",
                To = new[] { "ops@contoso.test" },
                Subject = "After the outage",
                TextBody = "Storage was away for a while.",
            });
            Assert.Single(await smarthost.WaitForMessagesAsync(1, Patience));
            Assert.False(host.HasExited);
            Assert.Single(host.Lines, line => line.Contains("Storage unavailable", StringComparison.Ordinal)); // logged once per outage
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }

    private static async Task WaitForLineAsync(LocalHostProcess host, string text)
    {
        var clock = Stopwatch.StartNew();
        while (!host.Lines.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            if (clock.Elapsed > Patience || host.HasExited)
            {
                throw new TimeoutException($"No line with '{text}' within {Patience.TotalSeconds} s (LocalHost {(host.HasExited ? "exited" : "running")}); its last lines:{Environment.NewLine}{host.Tail()}");
            }

            await Task.Delay(200);
        }
    }
}
