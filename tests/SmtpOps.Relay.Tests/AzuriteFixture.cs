using System.Threading.Tasks;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>One Azurite for all relay host tests; each test uses its own queue names.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? server;

    public string ConnectionString => server!.ConnectionString;

    /// <summary>Gets the connection string with the blob service reached through another port (a proxy in front of it).</summary>
    /// <param name="blobPort">The port that forwards to Azurite's blob service.</param>
    /// <returns>The connection string.</returns>
    public string ConnectionStringWithBlobPort(int blobPort) => ConnectionString.Replace($"127.0.0.1:{server!.BlobPort}/", $"127.0.0.1:{blobPort}/", System.StringComparison.Ordinal);

    /// <summary>Gets Azurite's blob service port.</summary>
    public int BlobPort => server!.BlobPort;

    public async Task InitializeAsync() => server = await AzuriteServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Relay hosts on Azurite";
}
