using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using SmtpOps.Relay.Hosting;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// RelayStartupCheck on the relay's own DI registration (what the Function's Program.cs runs before the
/// worker starts, as LocalHost does): a usable configuration passes, and an unreachable smarthost is a
/// warning, not a failure.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelayStartupCheckTests
{
    private readonly AzuriteFixture azurite;

    public RelayStartupCheckTests(AzuriteFixture azurite) => this.azurite = azurite;

    [Fact]
    public async Task AUsableConfigurationPassesSilently()
    {
        await using var smarthost = await TestSmtpServer.StartAsync(new());
        using var services = RelayServices.Build(RelayServices.Settings(azurite.ConnectionString, "startup", smarthost.Port));
        using var output = new StringWriter();

        Assert.Equal(0, await RelayStartupCheck.RunAsync(services, output));
        Assert.Equal(string.Empty, output.ToString());
    }

    [Fact]
    public async Task AnUnreachableSmarthostIsAWarningAndTheHostMayStart()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closed = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var services = RelayServices.Build(RelayServices.Settings(azurite.ConnectionString, "startup", closed));
        using var output = new StringWriter();

        Assert.Equal(0, await RelayStartupCheck.RunAsync(services, output));
        var line = Assert.Single(output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"SmtpOps relay: warning: the smarthost 127.0.0.1:{closed} cannot be reached now (Connection refused)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidSettingsGiveExitCode2AndOneLineEach()
    {
        var settings = RelayServices.Settings(azurite.ConnectionString, "startup", 25);
        settings.Remove("Relay:Smarthost:Host");
        settings["Relay:Policy:MaxRecipients"] = "0";
        using var services = RelayServices.Build(settings);
        using var output = new StringWriter();

        Assert.Equal(RelayStartupCheck.InvalidSettingsExitCode, await RelayStartupCheck.RunAsync(services, output));
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.StartsWith("SmtpOps relay: configuration error: Relay:", line, StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Relay:Policy:MaxRecipients must be positive", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{ \"version\": \"2.0\", \"extensions\": { \"queues\": { \"maxDequeueCount\": 5 } } }", 5, null, null)]
    [InlineData("{ \"version\": \"2.0\", \"extensions\": { \"queues\": { \"maxDequeueCount\": 5 } } }", 3, null, "host.json extensions.queues.maxDequeueCount is 5 but Relay:MaxAttempts is 3")]
    [InlineData("{ \"version\": \"2.0\" }", 5, null, null)]
    [InlineData("{ \"version\": \"2.0\" }", 4, null, "(absent: the host's default) is 5 but Relay:MaxAttempts is 4")]
    [InlineData("{ \"version\": \"2.0\", \"extensions\": { \"queues\": { \"maxDequeueCount\": 5 } } }", 5, "7", "the app setting AzureFunctionsJobHost__extensions__queues__maxDequeueCount is 7 but Relay:MaxAttempts is 5")]
    public void HostJsonsMaxDequeueCountMustEqualMaxAttempts(string hostJson, int maxAttempts, string? appSetting, string? expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"host-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, hostJson);
        try
        {
            var problem = RelayStartupCheck.CheckMaxDequeueCount(path, maxAttempts, name => name == "AzureFunctionsJobHost__extensions__queues__maxDequeueCount" ? appSetting : null);

            if (expected is null)
            {
                Assert.Null(problem);
            }
            else
            {
                Assert.Contains(expected, problem, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Azurite checks no roles, so the refusal comes from a listener on 127.0.0.1 that answers every request as Storage
    // answers an identity without a data role (or with a wrong key): 403 with the error code in x-ms-error-code and the body.
    [Theory]
    [InlineData("AuthorizationPermissionMismatch", "refused the identity (403 AuthorizationPermissionMismatch): it lacks a role. Grant it Storage Queue Data Contributor, Storage Blob Data Contributor and Storage Table Data Contributor on the account (or the relay's queue, container and table). The host did not start.")]
    [InlineData("AuthenticationFailed", "refused the credentials (403 AuthenticationFailed). Check the key, SAS or identity in RelayStorage and that it allows queue, blob and table access. The host did not start.")]
    public async Task AStorageRefusalSaysWhatToGrantOrCheck(string errorCode, string expected)
    {
        var port = LoopbackPort.Free();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serving = RefuseAllAsync(listener, errorCode);
        var connection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};" +
            $"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
        using var services = RelayServices.Build(RelayServices.Settings(connection, "refused", 25));
        using var output = new StringWriter();

        var exitCode = await RelayStartupCheck.RunAsync(services, output);
        // On Linux a pending GetContextAsync does not always end when the listener closes (a CI run hung here
        // for ten minutes): the serving loop is given a moment to end, and not waited for beyond it.
        listener.Stop();
        listener.Close();
        await Task.WhenAny(serving, Task.Delay(TimeSpan.FromSeconds(5)));

        Assert.Equal(RelayStartupCheck.StorageUnavailableExitCode, exitCode);
        var line = Assert.Single(output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"SmtpOps relay: Storage unavailable: Storage account 'devstoreaccount1' (http://127.0.0.1:{port}/devstoreaccount1/refused) {expected}", line);
    }

    [Fact]
    public void TheFunctionsOwnHostJsonAgreesWithTheDefaultMaxAttempts()
    {
        var hostJson = Path.Combine(AppContext.BaseDirectory, "host.json");
        Assert.True(File.Exists(hostJson), "the Function's host.json is copied to the test output with its assembly");
        Assert.Null(RelayStartupCheck.CheckMaxDequeueCount(hostJson, new RelaySettings().MaxAttempts, _ => null));
    }

    private static async Task RefuseAllAsync(HttpListener listener, string errorCode)
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var body = Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{errorCode}</Code><Message>This request is not authorized to perform this operation.</Message></Error>");
            context.Response.StatusCode = 403;
            context.Response.Headers["x-ms-error-code"] = errorCode;
            context.Response.ContentType = "application/xml";
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }
}
