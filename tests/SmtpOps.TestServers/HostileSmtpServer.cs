using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// A raw TCP server on 127.0.0.1 that attacks the SMTP client instead of serving it (<see cref="HostileSmtpBehaviour"/>):
/// endless lines, a huge multi-line EHLO reply, a greeting dripped a byte at a time. It writes from one fixed buffer, so
/// its own memory stays flat however much it sends; it stops when the client closes or after <see cref="MaxBytes"/>.
/// </summary>
public sealed class HostileSmtpServer : IAsyncDisposable
{
    private static readonly byte[] Filler = CreateFiller();

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> sessions = [];
    private readonly Task accepting;
    private long bytesSent;
    private int connections;

    private HostileSmtpServer(HostileSmtpBehaviour behaviour, long maxBytes, TimeSpan dripInterval, X509Certificate2? implicitTlsCertificate)
    {
        ImplicitTlsCertificate = implicitTlsCertificate;
        Behaviour = behaviour;
        MaxBytes = maxBytes;
        DripInterval = dripInterval;
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = Task.Run(AcceptAsync);
    }

    public HostileSmtpBehaviour Behaviour { get; }

    /// <summary>The certificate of implicit TLS (the attack comes inside TLS, where a client sees ciphertext below its TLS), or null for none.</summary>
    public X509Certificate2? ImplicitTlsCertificate { get; }

    /// <summary>The most bytes sent to one client before the server closes the connection itself.</summary>
    public long MaxBytes { get; }

    /// <summary>The pause between two bytes of <see cref="HostileSmtpBehaviour.DrippedGreeting"/>.</summary>
    public TimeSpan DripInterval { get; }

    public int Port { get; }

    /// <summary>Bytes sent to all clients so far.</summary>
    public long BytesSent => Interlocked.Read(ref bytesSent);

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref connections);

    /// <summary>Starts listening on a free port of 127.0.0.1.</summary>
    /// <param name="behaviour">The attack.</param>
    /// <param name="maxBytes">The most bytes sent to one client (default 512 MB).</param>
    /// <param name="dripInterval">The pause between dripped bytes (default one second).</param>
    /// <param name="implicitTlsCertificate">A certificate to talk implicit TLS with (as on port 465), or null for plaintext.</param>
    public static HostileSmtpServer Start(HostileSmtpBehaviour behaviour, long maxBytes = 512L * 1024 * 1024, TimeSpan? dripInterval = null, X509Certificate2? implicitTlsCertificate = null)
        => new(behaviour, maxBytes, dripInterval ?? TimeSpan.FromSeconds(1), implicitTlsCertificate);

    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        listener.Stop();
        await accepting.ConfigureAwait(false);
        Task[] running;
        lock (sessions)
        {
            running = [.. sessions];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        stopping.Dispose();
    }

    private static byte[] CreateFiller()
    {
        // 64 KiB of short EHLO-like lines "250-XXXXXXXX...\r\n" (64 bytes each) for the huge reply; the endless
        // line sends the same buffer with every CR and LF replaced.
        var line = Encoding.ASCII.GetBytes("250-X-HOSTILE-EXTENSION-" + new string('X', 37) + "\r\n");
        var filler = new byte[64 * 1024];
        for (var i = 0; i < filler.Length; i += line.Length)
        {
            Buffer.BlockCopy(line, 0, filler, i, Math.Min(line.Length, filler.Length - i));
        }

        return filler;
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref connections);
            lock (sessions)
            {
                sessions.Add(Task.Run(() => ServeAsync(client)));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        Stream stream = client.GetStream();
        var token = stopping.Token;
        try
        {
            if (ImplicitTlsCertificate is { } certificate)
            {
                var tls = new SslStream(stream);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, token).ConfigureAwait(false);
                stream = tls;
            }

            switch (Behaviour)
            {
                case HostileSmtpBehaviour.EndlessGreetingLine:
                    await SendAsync(stream, "220-"u8.ToArray(), token).ConfigureAwait(false);
                    await FloodAsync(stream, endless: true, token).ConfigureAwait(false);
                    break;
                case HostileSmtpBehaviour.EndlessLineAfterEhlo:
                    await SendAsync(stream, "220 hostile.test ESMTP\r\n"u8.ToArray(), token).ConfigureAwait(false);
                    await ReadLineAsync(stream, token).ConfigureAwait(false);
                    await SendAsync(stream, "250-"u8.ToArray(), token).ConfigureAwait(false);
                    await FloodAsync(stream, endless: true, token).ConfigureAwait(false);
                    break;
                case HostileSmtpBehaviour.HugeEhloReply:
                    await SendAsync(stream, "220 hostile.test ESMTP\r\n"u8.ToArray(), token).ConfigureAwait(false);
                    await ReadLineAsync(stream, token).ConfigureAwait(false);
                    await FloodAsync(stream, endless: false, token).ConfigureAwait(false);
                    await SendAsync(stream, "250 OK\r\n"u8.ToArray(), token).ConfigureAwait(false);
                    break;
                case HostileSmtpBehaviour.DrippedGreeting:
                    foreach (var b in "220 hostile.test ESMTP, one byte at a time\r\n"u8.ToArray())
                    {
                        await SendAsync(stream, [b], token).ConfigureAwait(false);
                        await Task.Delay(DripInterval, token).ConfigureAwait(false);
                    }

                    await ReadLineAsync(stream, token).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or AuthenticationException)
        {
            // The client gave up (what a bounded client does), or the server stops.
        }
    }

    private async Task FloodAsync(Stream stream, bool endless, CancellationToken token)
    {
        var chunk = endless ? Array.ConvertAll(Filler, b => b is (byte)'\r' or (byte)'\n' ? (byte)'X' : b) : Filler;
        for (long sent = 0; sent < MaxBytes; sent += chunk.Length)
        {
            await SendAsync(stream, chunk, token).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(Stream stream, byte[] bytes, CancellationToken token)
    {
        await stream.WriteAsync(bytes, token).ConfigureAwait(false);
        Interlocked.Add(ref bytesSent, bytes.Length);
    }

    // Reads up to and including LF (the client's command), a byte at a time: a command is short.
    private static async Task ReadLineAsync(Stream stream, CancellationToken token)
    {
        var one = new byte[1];
        while (await stream.ReadAsync(one, token).ConfigureAwait(false) == 1 && one[0] != (byte)'\n')
        {
        }
    }
}
