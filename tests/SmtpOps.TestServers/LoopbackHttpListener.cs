using System;
using System.IO;
using System.Net;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// An HttpListener on 127.0.0.1 that hands each request, one at a time, to a handler until it is disposed: the
/// plain-HTTP test endpoints (CRL, managed identity, Graph) are each a handler over one of these.
/// </summary>
public sealed class LoopbackHttpListener : IAsyncDisposable
{
    private readonly HttpListener listener;
    private readonly Task serving;

    private LoopbackHttpListener(HttpListener listener, int port, Func<HttpListenerContext, Task> handle)
    {
        this.listener = listener;
        Port = port;
        serving = Task.Run(() => ServeAsync(handle));
    }

    /// <summary>Gets the port it listens on.</summary>
    public int Port { get; }

    /// <summary>
    /// Starts listening on <paramref name="port"/> (a free one when 0) for paths under <paramref name="pathPrefix"/>.
    /// A client that goes away mid-answer ends that request only.
    /// </summary>
    public static LoopbackHttpListener Start(Func<HttpListenerContext, Task> handle, int port = 0, string pathPrefix = "/")
    {
        ArgumentNullException.ThrowIfNull(handle);
        var chosen = port == 0 ? LoopbackPort.Free() : port;
        var listener = new HttpListener();
        listener.Prefixes.Add(FormattableString.Invariant($"http://127.0.0.1:{chosen}{pathPrefix}"));
        listener.Start();
        return new LoopbackHttpListener(listener, chosen, handle);
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await serving.ConfigureAwait(false);
    }

    private async Task ServeAsync(Func<HttpListenerContext, Task> handle)
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

            try
            {
                await handle(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
            {
                // the client went away
            }
        }
    }
}
