using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
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
}
