using System;
using System.IO;
using System.Threading.Tasks;
using SmtpOps.TestServers.Graph;
using Xunit;

namespace SmtpOps.Tests.Graph;

/// <summary>
/// What the Graph transport tests share: a temporary folder for their files and a Graph contract endpoint that writes what
/// it receives below it, started before each test and removed after.
/// </summary>
public abstract class GraphEndpointTest : IAsyncLifetime
{
    protected GraphEndpointTest(string name) => Folder = Path.Combine(Path.GetTempPath(), $"graph-{name}-{Guid.NewGuid():N}");

    /// <summary>Gets the test's temporary folder.</summary>
    protected string Folder { get; }

    /// <summary>Gets the running endpoint.</summary>
    protected GraphContractEndpoint Endpoint { get; private set; } = null!;

    public virtual Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        Endpoint = GraphContractEndpoint.Start(Path.Combine(Folder, "received"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Endpoint.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
