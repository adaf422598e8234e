using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// A TCP proxy on 127.0.0.1 that adds a fixed one-way delay in each direction, as a network between a
/// client and a distant server would (10 ms each way = a 20 ms round trip). Each chunk read is forwarded
/// at its arrival time plus the delay, in order: chunks in flight overlap, so the delay costs latency,
/// not bandwidth (a proxy that slept before each write would throttle a stream to one chunk per delay).
/// Counts, per connection, the client's turns: a run of client data after the server has said something,
/// that is one round trip the client waited for. Each closed connection appends one line to the
/// connection log: <c>turns clientChunks clientBytes serverBytes</c>.
/// </summary>
public sealed class LatencyProxy : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly int target;
    private readonly TimeSpan oneWayDelay;
    private readonly string? connectionLog;
    private readonly Lock logLock = new();
    private readonly CancellationTokenSource stop = new();
    private Task accepting = Task.CompletedTask;

    private LatencyProxy(int port, int target, TimeSpan oneWayDelay, string? connectionLog)
    {
        listener = new TcpListener(IPAddress.Loopback, port);
        this.target = target;
        this.oneWayDelay = oneWayDelay;
        this.connectionLog = connectionLog;
    }

    /// <summary>The port the proxy listens on (127.0.0.1).</summary>
    public int Port { get; private set; }

    /// <summary>Starts a proxy to 127.0.0.1:<paramref name="target"/> delaying each direction by <paramref name="oneWayDelay"/>.</summary>
    public static LatencyProxy Start(int target, TimeSpan oneWayDelay, int port = 0, string? connectionLog = null)
    {
        var proxy = new LatencyProxy(port, target, oneWayDelay, connectionLog);
        proxy.listener.Start(512);
        proxy.Port = ((IPEndPoint)proxy.listener.LocalEndpoint).Port;
        proxy.accepting = proxy.AcceptAsync();
        return proxy;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        listener.Stop();
        try
        {
            await accepting.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping.
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var counters = new ConnectionCounters();
        try
        {
            // Both legs without Nagle: the proxy must not add delays of its own to small SMTP lines.
            client.NoDelay = true;
            server.NoDelay = true;
            await server.ConnectAsync(IPAddress.Loopback, target, stop.Token).ConfigureAwait(false);
            var up = PumpAsync(client, server, counters, fromClient: true);
            var down = PumpAsync(server, client, counters, fromClient: false);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A side closed or reset: close both.
        }
        finally
        {
            client.Dispose();
            WriteLog(counters);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, ConnectionCounters counters, bool fromClient)
    {
        // The reader stamps each chunk with its due time and queues it; the writer sends each at its due time.
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writing = WriteDelayedAsync(chunks.Reader, to, counters, fromClient);
        try
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                if (fromClient)
                {
                    counters.ClientArrived(read);
                }
                else
                {
                    Interlocked.Add(ref counters.ServerBytes, read);
                }

                var due = Environment.TickCount64 + (long)oneWayDelay.TotalMilliseconds;
                chunks.Writer.TryWrite((due, buffer.AsSpan(0, read).ToArray()));
            }
        }
        catch (Exception)
        {
            // Reset or stopping: what was read is still delivered, then the other side is shut down.
        }

        chunks.Writer.TryComplete();
        await writing.ConfigureAwait(false);
    }

    private async Task WriteDelayedAsync(ChannelReader<(long Due, byte[] Data)> chunks, Socket to, ConnectionCounters counters, bool fromClient)
    {
        try
        {
            await foreach (var (due, data) in chunks.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                var wait = due - Environment.TickCount64;
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), stop.Token).ConfigureAwait(false);
                }

                await to.SendAsync(data, SocketFlags.None, stop.Token).ConfigureAwait(false);
                if (!fromClient)
                {
                    counters.ServerDelivered();
                }
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            // The other side is gone.
        }
    }

    private void WriteLog(ConnectionCounters counters)
    {
        if (connectionLog is null)
        {
            return;
        }

        var line = string.Create(CultureInfo.InvariantCulture, $"{counters.Turns} {counters.ClientChunks} {counters.ClientBytes} {counters.ServerBytes}{Environment.NewLine}");
        lock (logLock)
        {
            File.AppendAllText(connectionLog, line);
        }
    }

    /// <summary>One connection's counts. A turn starts when the client sends after the server's last chunk reached it.</summary>
    private sealed class ConnectionCounters
    {
        public long ServerBytes;
        private int serverSpoke;

        public long Turns { get; private set; }

        public long ClientChunks { get; private set; }

        public long ClientBytes { get; private set; }

        public void ClientArrived(int bytes)
        {
            ClientChunks++;
            ClientBytes += bytes;
            if (Interlocked.Exchange(ref serverSpoke, 0) == 1)
            {
                Turns++;
            }
        }

        public void ServerDelivered() => Volatile.Write(ref serverSpoke, 1);
    }
}
