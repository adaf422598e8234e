using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// Azurite (the Azure Storage emulator, installed by build.ps1 from tests/azurite) as a child
/// process with blob, queue and table services on free ports of 127.0.0.1, in memory.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    // Azurite's well-known development account.
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process process;

    private bool disposed;

    private string scheme = "http";

    private AzuriteServer(Process process, int blobPort, int queuePort, int tablePort)
    {
        this.process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    /// <summary>Gets the blob service port.</summary>
    public int BlobPort { get; }

    /// <summary>Gets the queue service port.</summary>
    public int QueuePort { get; }

    /// <summary>Gets the table service port.</summary>
    public int TablePort { get; }

    /// <summary>Gets the connection string for all three services.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol={scheme};AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint={BlobServiceUri};QueueEndpoint={QueueServiceUri};TableEndpoint={TableServiceUri};";

    /// <summary>Gets the queue service endpoint of the account.</summary>
    public Uri QueueServiceUri => new($"{scheme}://127.0.0.1:{QueuePort}/{AccountName}");

    /// <summary>Gets the blob service endpoint of the account.</summary>
    public Uri BlobServiceUri => new($"{scheme}://127.0.0.1:{BlobPort}/{AccountName}");

    /// <summary>Gets the table service endpoint of the account.</summary>
    public Uri TableServiceUri => new($"{scheme}://127.0.0.1:{TablePort}/{AccountName}");

    /// <summary>
    /// Starts Azurite over HTTPS in OAuth mode ('--oauth basic'): requests with a bearer JWT for https://storage.azure.com
    /// (issuer sts.windows.net, valid nbf/exp; the signature is not checked) are accepted as well as shared keys. The
    /// certificate (with its key) must be trusted by the clients, e.g. issued by the run's test CA.
    /// </summary>
    /// <param name="certificate">The server certificate for 127.0.0.1, with its private key.</param>
    /// <param name="folder">Where its PEM files are written.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator.</returns>
    public static async Task<AzuriteServer> StartWithOAuthAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string folder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Directory.CreateDirectory(folder);
        var certificatePath = Path.Combine(folder, "azurite.pem");
        var keyPath = Path.Combine(folder, "azurite.key.pem");
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem(), cancellationToken).ConfigureAwait(false);
        using var key = System.Security.Cryptography.X509Certificates.RSACertificateExtensions.GetRSAPrivateKey(certificate) ?? throw new ArgumentException("The certificate has no RSA private key.", nameof(certificate));
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem(), cancellationToken).ConfigureAwait(false);
        var server = await StartAsync(LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free(), ["--oauth", "basic", "--cert", certificatePath, "--key", keyPath], cancellationToken).ConfigureAwait(false);
        server.scheme = "https";
        return server;
    }

    /// <summary>Starts Azurite and returns once all three services accept connections.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator.</returns>
    public static Task<AzuriteServer> StartAsync(CancellationToken cancellationToken = default)
        => StartAsync(LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free(), cancellationToken);

    /// <summary>Starts Azurite on given ports (e.g. those of an instance stopped to simulate a Storage outage).</summary>
    /// <param name="blob">The blob service port.</param>
    /// <param name="queue">The queue service port.</param>
    /// <param name="table">The table service port.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator.</returns>
    public static Task<AzuriteServer> StartAsync(int blob, int queue, int table, CancellationToken cancellationToken = default)
        => StartAsync(blob, queue, table, [], cancellationToken);

    private static async Task<AzuriteServer> StartAsync(int blob, int queue, int table, string[] extra, CancellationToken cancellationToken)
    {
        var script = FindScript();
        var start = new ProcessStartInfo("node")
        {
            ArgumentList =
            {
                script, "--blobHost", "127.0.0.1", "--blobPort", $"{blob}", "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
                "--tableHost", "127.0.0.1", "--tablePort", $"{table}", "--inMemoryPersistence", "--skipApiVersionCheck",
                "--disableTelemetry", "--silent",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in extra)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new AzuriteServer(process, blob, queue, table);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            foreach (var port in new[] { blob, queue, table })
            {
                while (!await AcceptsAsync(port, cancellationToken).ConfigureAwait(false))
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"Azurite exited with code {process.ExitCode}: {string.Join(Environment.NewLine, errors)}");
                    }

                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException("Azurite did not start within 60 s.");
                    }

                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops Azurite; everything it held was in memory.</summary>
    /// <returns>A task that completes when it has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
    }

    private static string FindScript()
    {
        if (Environment.GetEnvironmentVariable("SMTPOPS_AZURITE") is { Length: > 0 } configured && File.Exists(configured))
        {
            return configured;
        }

        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "tests", "azurite", "node_modules", "azurite", "dist", "src", "azurite.js");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("Azurite is not installed: run 'npm ci --prefix tests/azurite' (build.ps1 test does).");
    }


    private static async Task<bool> AcceptsAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
