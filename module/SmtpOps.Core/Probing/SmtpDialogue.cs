using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Smtp;

namespace SmtpOps.Probing;

/// <summary>
/// A line-level SMTP conversation for diagnostics: exact replies, every step bounded by the
/// timeout (a silent server cannot hang it), garbage recognised as such, an optional transcript
/// with AUTH payloads redacted. Sends only what the probe tells it to; never message data.
/// </summary>
internal sealed class SmtpDialogue : IDisposable
{
    // The limits every SMTP conversation of SmtpOps has; the connection enforces them too (and the time of each reply).
    private const int MaxLineLength = BoundedSmtpStream.MaxLineLength;
    private const int MaxReplyLines = BoundedSmtpStream.MaxReplyLines;

    private readonly TcpClient tcp;
    private readonly TimeSpan timeout;
    private readonly TextWriter? transcript;
    private readonly string endpoint;
    private readonly byte[] buffer = new byte[MaxLineLength * 2];
    private Stream stream;
    private int start;
    private int end;

    private SmtpDialogue(TcpClient tcp, TimeSpan timeout, TextWriter? transcript, string endpoint)
    {
        this.tcp = tcp;
        this.endpoint = endpoint;
        this.timeout = timeout;
        this.transcript = transcript;
        stream = new BoundedSmtpStream(tcp.Client, timeout);
    }

    /// <summary>Gets the TLS stream once TLS is up.</summary>
    public SslStream? Tls => stream as SslStream;

    /// <summary>Gets whether bytes were already buffered when TLS started (a STARTTLS injection).</summary>
    public bool PlaintextAfterStartTls { get; private set; }

    public static async Task<SmtpDialogue> ConnectAsync(IPAddress address, int port, TimeSpan timeout, TextWriter? transcript, string endpoint, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient(address.AddressFamily) { NoDelay = true };
        try
        {
            await Bounded(tcp, timeout, cancellationToken, _ => tcp.ConnectAsync(address, port)).ConfigureAwait(false);
            transcript?.WriteLine($"{Now()} {endpoint} Connected to {address}:{port}");
            return new SmtpDialogue(tcp, timeout, transcript, endpoint);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    public Task<SmtpReply> ReadReplyAsync(CancellationToken cancellationToken)
        => Bounded(tcp, timeout, cancellationToken, ReadReplyCoreAsync);

    public async Task<SmtpReply> CommandAsync(string line, CancellationToken cancellationToken, bool redact = false)
    {
        Log($"C: {(redact ? Redact(line) : line)}");
        var bytes = Encoding.UTF8.GetBytes(line + "\r\n");
        await Bounded(tcp, timeout, cancellationToken, ct => stream.WriteAsync(bytes, 0, bytes.Length, ct)).ConfigureAwait(false);
        return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StartTlsAsync(string host, RemoteCertificateValidationCallback validate, bool checkRevocation, CancellationToken cancellationToken)
    {
        // Anything the server sent after its 220 but before the handshake would be read as if it
        // came through TLS: the STARTTLS response injection. Note it and throw it away.
        PlaintextAfterStartTls = end > start;
        start = end = 0;
        var tls = new SslStream(stream, leaveInnerStreamOpen: false, validate);
        await Bounded(tcp, timeout, cancellationToken, ct => FreshTlsHandshake.AuthenticateAsync(tls, host, validate, checkRevocation, ct)).ConfigureAwait(false);
        stream = tls;
        Log($"TLS: {tls.SslProtocol}");
    }

    /// <summary>Runs another TLS library's blocking handshake on the connection, bounded by the timeout.</summary>
    /// <typeparam name="T">What the handshake returns.</typeparam>
    /// <param name="handshake">Takes the connection's stream.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>What the handshake returned.</returns>
    public Task<T> HandshakeAsync<T>(Func<Stream, T> handshake, CancellationToken cancellationToken)
    {
        start = end = 0;
        // A thread of its own: several blocking handshakes at once on the pool's few threads would wait for it to grow.
        return Bounded(tcp, timeout, cancellationToken, _ => Task.Factory.StartNew(() => handshake(stream), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    public void Dispose()
    {
        stream.Dispose();
        tcp.Dispose();
    }

    // Every network step gets the timeout; when it fires the socket is closed, which ends any
    // pending operation on every runtime (netstandard2.0 sockets ignore cancellation tokens).
    private static async Task<T> Bounded<T>(TcpClient tcp, TimeSpan timeout, CancellationToken cancellationToken, Func<CancellationToken, Task<T>> step)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        using (limit.Token.Register(tcp.Dispose))
        {
            try
            {
                return await step(limit.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (limit.IsCancellationRequested && ex is not TimeoutException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new TimeoutException($"No answer within {timeout.TotalSeconds:0.#} s.", ex);
            }
        }
    }

    private static async Task Bounded(TcpClient tcp, TimeSpan timeout, CancellationToken cancellationToken, Func<CancellationToken, Task> step)
        => await Bounded(tcp, timeout, cancellationToken, async ct =>
        {
            await step(ct).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    private async Task<SmtpReply> ReadReplyCoreAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        int code;
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            Log($"S: {line}");
            if (line.Length < 3 || !int.TryParse(line.Substring(0, 3), out code) || code < 200 || code > 599 || (line.Length > 3 && line[3] != ' ' && line[3] != '-'))
            {
                throw new InvalidDataException($"Not an SMTP reply: '{Printable(line)}'.");
            }

            lines.Add(line.Length > 4 ? line.Substring(4) : string.Empty);
            if (line.Length == 3 || line[3] == ' ')
            {
                return new SmtpReply(code, lines);
            }

            if (lines.Count > MaxReplyLines)
            {
                throw new InvalidDataException($"A reply of more than {MaxReplyLines} lines.");
            }
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline >= 0)
            {
                var line = Encoding.UTF8.GetString(buffer, start, newline - start).TrimEnd('\r');
                start = newline + 1;
                return line;
            }

            if (end - start >= MaxLineLength)
            {
                throw new InvalidDataException($"A line of more than {MaxLineLength} bytes: '{Printable(Encoding.UTF8.GetString(buffer, start, 60))}...'.");
            }

            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            var read = await stream.ReadAsync(buffer, end, buffer.Length - end, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException(end > start
                    ? $"The server closed the connection after '{Printable(Encoding.UTF8.GetString(buffer, start, Math.Min(60, end - start)))}'."
                    : "The server closed the connection.");
            }

            end += read;
        }
    }

    private void Log(string line)
    {
        if (transcript is not null)
        {
            // One call per line: a shared file gets whole lines from each probe.
            lock (transcript)
            {
                transcript.WriteLine($"{Now()} {endpoint} {line}");
            }
        }
    }

    private static string Redact(string line)
    {
        var parts = line.Split(' ');
        return parts.Length >= 2 && parts[0].Equals("AUTH", StringComparison.OrdinalIgnoreCase)
            ? $"AUTH {parts[1]}{(parts.Length > 2 ? " ********" : string.Empty)}"
            : "********";
    }

    private static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(c >= ' ' && c < 127 ? c : '.');
        }

        return builder.ToString();
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
}
