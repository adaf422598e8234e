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
    private readonly LoopbackHttpListener listener;
    private byte[]? crl;
    private int downloads;

    private CrlServer()
    {
        listener = LoopbackHttpListener.Start(AnswerAsync);
        Url = $"http://127.0.0.1:{listener.Port}/test-ca.crl";
    }

    /// <summary>Gets the CRL's URL, for a certificate's CRL distribution point.</summary>
    public string Url { get; }

    /// <summary>Gets how many times the CRL was downloaded.</summary>
    public int Downloads => Volatile.Read(ref downloads);

    /// <summary>Starts listening on a free port.</summary>
    public static CrlServer Start() => new();

    /// <summary>Serves <paramref name="revocationList"/> (DER) from now on.</summary>
    public void Publish(byte[] revocationList) => Volatile.Write(ref crl, revocationList ?? throw new ArgumentNullException(nameof(revocationList)));

    /// <summary>A URL on 127.0.0.1 where nothing listens: a CRL distribution point that cannot be reached.</summary>
    public static string UnreachableUrl() => $"http://127.0.0.1:{LoopbackPort.Free()}/unreachable.crl";

    public ValueTask DisposeAsync() => listener.DisposeAsync();

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var current = Volatile.Read(ref crl);
        if (current is null)
        {
            context.Response.StatusCode = 404;
            context.Response.Close();
            return;
        }

        Interlocked.Increment(ref downloads);
        context.Response.ContentType = "application/pkix-crl";
        context.Response.ContentLength64 = current.Length;
        await context.Response.OutputStream.WriteAsync(current).ConfigureAwait(false);
        context.Response.Close();
    }
}
