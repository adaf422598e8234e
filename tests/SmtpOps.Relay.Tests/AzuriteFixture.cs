using System.Threading.Tasks;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>One Azurite for all relay host tests; each test uses its own queue names.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? server;

    public string ConnectionString => server!.ConnectionString;

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
