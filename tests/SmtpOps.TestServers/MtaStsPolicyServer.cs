using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// The web servers at mta-sts.&lt;domain&gt; (RFC 8461 section 3.3), all in one HTTPS listener on 127.0.0.1:
/// each host gets a leaf certificate for its name from the given authority (the run's trusted test CA) and
/// whatever answer the test set for it: a policy file, an HTTP status, a redirect, silence, or a certificate
/// for another name. <see cref="CreateClientHandler"/> gives a client that reaches these hosts here, as DNS
/// and routing would reach them on the internet, and no host it does not know.
/// </summary>
public sealed class MtaStsPolicyServer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly X509Certificate2 authority;
    private readonly ConcurrentDictionary<string, Answer> answers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, X509Certificate2> certificates = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> requests = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;

    private MtaStsPolicyServer(TcpListener listener, X509Certificate2 authority)
    {
        this.listener = listener;
        this.authority = authority;
        accepting = Task.Run(AcceptAsync);
    }

    /// <summary>Gets the port the HTTPS listener is on (127.0.0.1).</summary>
    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Gets the requests served so far, as "host path" (the host from the Host header).</summary>
    public IReadOnlyCollection<string> Requests => requests.ToArray();

    /// <summary>Starts listening on a free port of 127.0.0.1.</summary>
    /// <param name="authority">The CA (with its key) that issues each host's certificate; the client must trust it.</param>
    /// <returns>The running server.</returns>
    public static MtaStsPolicyServer Start(X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new MtaStsPolicyServer(listener, authority);
    }

    /// <summary>Serves <paramref name="policyFile"/> at https://<paramref name="host"/>/.well-known/mta-sts.txt (200, text/plain).</summary>
    public MtaStsPolicyServer Publish(string host, string policyFile) => Set(host, new Answer(200, "OK", policyFile, null, false, null));

    /// <summary>
    /// Serves a policy file of <paramref name="size"/> bytes for <paramref name="host"/>: a valid policy padded with
    /// comment-like lines, streamed from one small buffer (this server's memory stays flat), with a Content-Length
    /// header or, when <paramref name="declareLength"/> is false, none (the body ends when the connection closes).
    /// </summary>
    public MtaStsPolicyServer PublishOversized(string host, long size, bool declareLength)
        => Set(host, new Answer(200, "OK", string.Empty, null, false, null) { OversizedLength = size, DeclareLength = declareLength });

    /// <summary>Answers every request to <paramref name="host"/> with <paramref name="status"/> (and a Location header when given).</summary>
    public MtaStsPolicyServer Respond(string host, int status, string reason, string? location = null)
        => Set(host, new Answer(status, reason, $"{status} {reason}\n", location, false, null));

    /// <summary>Accepts the TLS handshake for <paramref name="host"/>, reads the request and never answers.</summary>
    public MtaStsPolicyServer NeverAnswer(string host) => Set(host, new Answer(200, "OK", string.Empty, null, true, null));

    /// <summary>Presents a certificate for <paramref name="otherName"/> (same trusted CA) when <paramref name="host"/> is asked for.</summary>
    public MtaStsPolicyServer PresentCertificateFor(string host, string otherName, string policyFile)
        => Set(host, new Answer(200, "OK", policyFile, null, false, otherName));

    /// <summary>
    /// A client handler that connects every host this server answers for to 127.0.0.1:<see cref="Port"/> and
    /// fails as an unknown name for any other host, so nothing leaves the machine. Certificates are validated
    /// as usual (the test CA must be trusted, e.g. through SSL_CERT_FILE).
    /// </summary>
    /// <param name="followRedirects">Whether the handler follows redirects (the reader must refuse a redirected policy either way).</param>
    /// <returns>The handler; the caller disposes it.</returns>
    public HttpMessageHandler CreateClientHandler(bool followRedirects = false) => new SocketsHttpHandler
    {
        AllowAutoRedirect = followRedirects,
        ConnectCallback = async (context, cancellationToken) =>
        {
            if (!answers.ContainsKey(context.DnsEndPoint.Host))
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }

            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        listener.Stop();
        try
        {
            await accepting.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // stopped
        }

        foreach (var certificate in certificates.Values)
        {
            certificate.Dispose();
        }

        stopping.Dispose();
    }

    private MtaStsPolicyServer Set(string host, Answer answer)
    {
        answers[host] = answer;
        return this;
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stopping.Token).ConfigureAwait(false);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private X509Certificate2 CertificateFor(string name)
        => certificates.GetOrAdd(name, n => TestCertificates.IssueServerCertificate(authority, new[] { n }, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)));

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                using var tls = new SslStream(client.GetStream());
                var options = new SslServerAuthenticationOptions
                {
                    ServerCertificateSelectionCallback = (_, serverName) =>
                    {
                        var name = serverName ?? "localhost";
                        return CertificateFor(answers.TryGetValue(name, out var answer) && answer.CertificateName is { } other ? other : name);
                    },
                };
                await tls.AuthenticateAsServerAsync(options, stopping.Token).ConfigureAwait(false);
                var (path, host) = await ReadRequestAsync(tls, stopping.Token).ConfigureAwait(false);
                requests.Enqueue($"{host} {path}");
                if (!answers.TryGetValue(host, out var reply))
                {
                    reply = new Answer(404, "Not Found", "no such host\n", null, false, null);
                }

                if (reply.Silent)
                {
                    await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(false);
                }

                if (reply.OversizedLength > 0)
                {
                    await WriteOversizedAsync(tls, reply, stopping.Token).ConfigureAwait(false);
                    return;
                }

                var body = Encoding.UTF8.GetBytes(reply.Body);
                var head = new StringBuilder()
                    .Append("HTTP/1.1 ").Append(reply.Status).Append(' ').Append(reply.Reason).Append("\r\n")
                    .Append("Content-Type: text/plain\r\n")
                    .Append("Content-Length: ").Append(body.Length).Append("\r\n")
                    .Append(reply.Location is null ? string.Empty : $"Location: {reply.Location}\r\n")
                    .Append("Connection: close\r\n\r\n");
                await tls.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), stopping.Token).ConfigureAwait(false);
                await tls.WriteAsync(body, stopping.Token).ConfigureAwait(false);
                await tls.FlushAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
            {
                // The client gave up (timeout, refused certificate) or the server stopped.
            }
        }
    }

    private static async Task WriteOversizedAsync(Stream stream, Answer reply, CancellationToken cancellationToken)
    {
        var head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            + (reply.DeclareLength ? $"Content-Length: {reply.OversizedLength}\r\n" : string.Empty)
            + "Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
        var policy = Encoding.ASCII.GetBytes("version: STSv1\nmode: enforce\nmx: mx.oversized.test\nmax_age: 86400\n");
        await stream.WriteAsync(policy, cancellationToken).ConfigureAwait(false);
        var padding = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("padding: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 1024)));
        for (var left = reply.OversizedLength - policy.Length; left > 0; left -= padding.Length)
        {
            await stream.WriteAsync(padding.AsMemory(0, (int)Math.Min(padding.Length, left)), cancellationToken).ConfigureAwait(false);
        }

        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(string Path, string Host)> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 16384)
        {
            if (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new IOException("The client closed the connection before the end of the request.");
            }

            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n')
            {
                break;
            }
        }

        var lines = Encoding.ASCII.GetString(buffer.ToArray()).Split("\r\n");
        var path = lines[0].Split(' ') is { Length: >= 2 } parts ? parts[1] : string.Empty;
        var host = Array.Find(lines, l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase))?.Substring(5).Trim() ?? string.Empty;
        var colon = host.LastIndexOf(':');
        return (path, colon > 0 ? host.Substring(0, colon) : host);
    }

    private sealed record Answer(int Status, string Reason, string Body, string? Location, bool Silent, string? CertificateName)
    {
        public long OversizedLength { get; init; }

        public bool DeclareLength { get; init; }
    }
}
