using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// Serves one certificate revocation list over HTTP on 127.0.0.1, the way a CA's CRL distribution point
/// does, and counts the downloads. Any path gets the CRL. The URL exists before the CRL (a leaf names the URL,
/// the CRL names the leaf): <see cref="Publish"/> sets it; until then the answer is 404.
/// </summary>
public sealed class CrlServer : IAsyncDisposable
{
    private readonly HttpListener listener;
    private byte[]? crl;
    private readonly Task serving;
    private int downloads;

    private CrlServer(HttpListener listener, int port)
    {
        this.listener = listener;
        Url = $"http://127.0.0.1:{port}/test-ca.crl";
        serving = Task.Run(ServeAsync);
    }

    /// <summary>Gets the CRL's URL, for a certificate's CRL distribution point.</summary>
    public string Url { get; }

    /// <summary>Gets how many times the CRL was downloaded.</summary>
    public int Downloads => Volatile.Read(ref downloads);

    /// <summary>Starts listening on a free port.</summary>
    public static CrlServer Start()
    {
        var port = LoopbackPort.Free();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        return new CrlServer(listener, port);
    }

    /// <summary>Serves <paramref name="revocationList"/> (DER) from now on.</summary>
    public void Publish(byte[] revocationList) => Volatile.Write(ref crl, revocationList ?? throw new ArgumentNullException(nameof(revocationList)));

    /// <summary>A URL on 127.0.0.1 where nothing listens: a CRL distribution point that cannot be reached.</summary>
    public static string UnreachableUrl() => $"http://127.0.0.1:{LoopbackPort.Free()}/unreachable.crl";

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        try
        {
            await serving.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var current = Volatile.Read(ref crl);
            if (current is null)
            {
                context.Response.StatusCode = 404;
                context.Response.Close();
                continue;
            }

            Interlocked.Increment(ref downloads);
            context.Response.ContentType = "application/pkix-crl";
            context.Response.ContentLength64 = current.Length;
            await context.Response.OutputStream.WriteAsync(current).ConfigureAwait(false);
            context.Response.Close();
        }
    }

}
