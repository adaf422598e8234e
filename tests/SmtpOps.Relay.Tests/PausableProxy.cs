using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of the SMTP server whose client-to-server direction can be
/// paused: sends in progress stall before the server has the whole message, replies still flow.
/// Used to kill the relay at a moment when no message sits between the server's 250 and the
/// ledger's "sent" mark (the one window no SMTP client can close). It can also record what clients
/// send (in front of Azurite's blob service: which blobs the relay asked for).
/// </summary>
public sealed class PausableProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly int target;
    private readonly CancellationTokenSource stop = new();
    private ConcurrentBag<TcpClient> connections = new();
    private readonly System.Text.StringBuilder? sent;
    private volatile TaskCompletionSource open = Opened();
    private Task accepting = Task.CompletedTask;

    private PausableProxy(int target, bool record)
    {
        this.target = target;
        sent = record ? new System.Text.StringBuilder() : null;
    }

    public int Port { get; private set; }

    /// <summary>Gets what clients sent so far, as Latin-1 text (recording proxies only).</summary>
    public string Sent
    {
        get
        {
            var recorded = sent ?? throw new InvalidOperationException("This proxy does not record.");
            lock (recorded)
            {
                return recorded.ToString();
            }
        }
    }

    public static PausableProxy Start(int target, bool record = false)
    {
        var proxy = new PausableProxy(target, record);
        proxy.listener.Start();
        proxy.Port = ((IPEndPoint)proxy.listener.LocalEndpoint).Port;
        proxy.accepting = proxy.AcceptAsync();
        return proxy;
    }

    public void Pause() => open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Resume() => open.TrySetResult();

    /// <summary>
    /// Closes every current connection without forwarding what it holds: after the relay was killed,
    /// bytes it had not yet got to the server must not arrive later (a real crash loses them too).
    /// </summary>
    public void DropAll()
    {
        foreach (var connection in Interlocked.Exchange(ref connections, new ConcurrentBag<TcpClient>()))
        {
            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        Resume();
        listener.Stop();
        foreach (var connection in connections)
        {
            connection.Dispose();
        }

        try
        {
            await accepting;
        }
        catch (Exception)
        {
            // Stopping.
        }
    }

    private static TaskCompletionSource Opened()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            var server = new TcpClient();
            connections.Add(client);
            connections.Add(server);
            _ = RelayAsync(client, server);
        }
    }

    private async Task RelayAsync(TcpClient client, TcpClient server)
    {
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, target, stop.Token);
            var up = PumpAsync(client.GetStream(), server.GetStream(), pausable: true);
            var down = PumpAsync(server.GetStream(), client.GetStream(), pausable: false);
            await Task.WhenAny(up, down);
        }
        catch (Exception)
        {
            // A side closed or reset: close both.
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool pausable)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReadAsync(buffer, stop.Token);
            if (read == 0)
            {
                return;
            }

            if (pausable)
            {
                await open.Task.WaitAsync(stop.Token);
                if (sent is not null)
                {
                    lock (sent)
                    {
                        sent.Append(System.Text.Encoding.Latin1.GetString(buffer, 0, read));
                    }
                }
            }

            await to.WriteAsync(buffer.AsMemory(0, read), stop.Token);
        }
    }
}
