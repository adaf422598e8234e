using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Smtp;

/// <summary>
/// The connection under every SMTP conversation SmtpOps has (MailKit's client through
/// <c>SmtpClient.Connect(Stream, ...)</c>, and the probe's dialogue): it bounds what a server may make the
/// client read for one reply, so that a hostile or broken server ends the conversation instead of holding it
/// or filling memory. A reply is everything read between two commands written (the greeting: everything read
/// before the first). Limits:
/// <list type="bullet">
/// <item>time: the whole reply must arrive within the timeout, counted from the first read after the command
/// (a server that drips one byte a second cannot reset it); each write must finish within the timeout too.
/// When time is up the socket is closed, which ends a pending read or write on every runtime.</item>
/// <item>size: a reply line of at most <see cref="MaxLineLength"/> bytes, a reply of at most
/// <see cref="MaxReplyLines"/> lines, and at most <see cref="MaxReplyBytes"/> bytes read for one command. Once
/// TLS is up the bytes are ciphertext and only the byte cap applies; it bounds the same memory.</item>
/// </list>
/// A broken limit throws <see cref="InvalidDataException"/>, time up throws <see cref="TimeoutException"/>
/// (SslStream may wrap either in an <see cref="IOException"/>). The stream owns the socket.
/// </summary>
internal sealed class BoundedSmtpStream : Stream
{
    /// <summary>
    /// The longest reply line accepted, CRLF included: RFC 5321 4.5.3.1.5 allows 512, real servers send
    /// longer texts (URLs in 5xx replies, long EHLO keyword lines); eight times the standard, as the probe
    /// always had, keeps every real server and bounds the memory a line can take.
    /// </summary>
    public const int MaxLineLength = 4096;

    /// <summary>The most lines one reply may have (a real EHLO reply has about 10 to 20).</summary>
    public const int MaxReplyLines = 200;

    /// <summary>
    /// The most bytes read for one command, TLS records included: room for a reply at both caps above,
    /// or hundreds of pipelined RCPT replies, with TLS's overhead.
    /// </summary>
    public const int MaxReplyBytes = 1024 * 1024;

    private const byte TlsHandshakeRecord = 0x16;
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue);
    private static readonly byte[] StartTlsCommand = { (byte)'S', (byte)'T', (byte)'A', (byte)'R', (byte)'T', (byte)'T', (byte)'L', (byte)'S' };

    private readonly Socket socket;
    private readonly NetworkStream inner;
    private readonly TimeSpan timeout;
    private readonly Timer readTimer;
    private readonly Timer writeTimer;
    private readonly Action cancel;
    private int expired;
    private int cancelled;
    private bool readPending;
    private bool inReply;
    private long replyDeadline;
    private int replyBytes;
    private int replyLines;
    private int lineLength;
    private int lineHeadLength;
    private readonly byte[] lineHead = new byte[4];
    private bool anythingRead;
    private bool startTlsSent;
    private bool tls;

    /// <summary>Wraps a connected socket.</summary>
    /// <param name="socket">The connected socket; the stream owns it.</param>
    /// <param name="timeout">The time a whole reply, and each write, may take.</param>
    public BoundedSmtpStream(Socket socket, TimeSpan timeout)
    {
        this.socket = socket ?? throw new ArgumentNullException(nameof(socket));
        // Timers take at most int.MaxValue milliseconds (about 24 days): longer is the same as no limit here.
        this.timeout = timeout > MaxTimeout || timeout <= TimeSpan.Zero ? MaxTimeout : timeout;
        inner = new NetworkStream(socket, ownsSocket: true);
        readTimer = new Timer(Expire, null, Timeout.Infinite, Timeout.Infinite);
        writeTimer = new Timer(Expire, null, Timeout.Infinite, Timeout.Infinite);
        cancel = () =>
        {
            Interlocked.Exchange(ref cancelled, 1);
            Close(socket);
        };
    }

    /// <summary>
    /// Gets or sets what cancels the blocking reads and writes (the asynchronous ones take their own token): the
    /// caller's token for the current operation. Cancelling closes the socket, as MailKit drops a cancelled connection.
    /// </summary>
    public CancellationToken Cancellation { get; set; }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        using var cancellation = WatchCancellation();
        var remaining = BeginRead();
        int read;
        try
        {
            readTimer.Change(remaining, Timeout.InfiniteTimeSpan);
            read = inner.Read(buffer, offset, count);
        }
        catch (Exception ex) when (IsCancelled && !IsExpired)
        {
            throw new OperationCanceledException("The read was cancelled.", ex, Cancellation);
        }
        catch (Exception ex) when (IsExpired && ex is not TimeoutException)
        {
            throw TimeUp(ex, writing: false);
        }
        finally
        {
            readTimer.Change(Timeout.Infinite, Timeout.Infinite);
            readPending = false;
        }

        // Data that came in as the time ran out: the socket is closed already.
        return IsExpired ? throw TimeUp(null, writing: false) : Inspect(buffer, offset, read);
    }

    /// <inheritdoc/>
    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        var remaining = BeginRead();
        int read;
        try
        {
            readTimer.Change(remaining, Timeout.InfiniteTimeSpan);
            read = await inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsExpired && ex is not TimeoutException)
        {
            throw TimeUp(ex, writing: false);
        }
        finally
        {
            readTimer.Change(Timeout.Infinite, Timeout.Infinite);
            readPending = false;
        }

        // Data that came in as the time ran out: the socket is closed already.
        return IsExpired ? throw TimeUp(null, writing: false) : Inspect(buffer, offset, read);
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        using var cancellation = WatchCancellation();
        BeginWrite(buffer, offset, count);
        try
        {
            writeTimer.Change(timeout, Timeout.InfiniteTimeSpan);
            inner.Write(buffer, offset, count);
        }
        catch (Exception ex) when (IsCancelled && !IsExpired)
        {
            throw new OperationCanceledException("The write was cancelled.", ex, Cancellation);
        }
        catch (Exception ex) when (IsExpired && ex is not TimeoutException)
        {
            throw TimeUp(ex, writing: true);
        }
        finally
        {
            writeTimer.Change(Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <inheritdoc/>
    public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        BeginWrite(buffer, offset, count);
        try
        {
            writeTimer.Change(timeout, Timeout.InfiniteTimeSpan);
            await inner.WriteAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsExpired && ex is not TimeoutException)
        {
            throw TimeUp(ex, writing: true);
        }
        finally
        {
            writeTimer.Change(Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <inheritdoc/>
    public override void Flush() => inner.Flush();

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            readTimer.Dispose();
            writeTimer.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private bool IsExpired => Volatile.Read(ref expired) != 0;

    private bool IsCancelled => Volatile.Read(ref cancelled) != 0;

    // A read starts the reply when it is the first after a command; every read of the reply gets what is
    // left of the reply's time.
    private TimeSpan BeginRead()
    {
        if (IsExpired)
        {
            throw TimeUp(null, writing: false);
        }

        var now = Stopwatch.GetTimestamp();
        if (!inReply)
        {
            inReply = true;
            replyDeadline = now + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            replyBytes = 0;
            replyLines = 0;
        }

        var left = replyDeadline - now;
        if (left <= 0)
        {
            Expire(null);
            throw TimeUp(null, writing: false);
        }

        readPending = true;
        return TimeSpan.FromSeconds((double)left / Stopwatch.Frequency);
    }

    // A command ends the reply before it. A write inside a read (TLS answering the server within SslStream's
    // read) is not a command and does not. The first write after the greeting or after STARTTLS's reply that
    // starts a TLS handshake record means the bytes are ciphertext from now on.
    private void BeginWrite(byte[] buffer, int offset, int count)
    {
        if (IsExpired)
        {
            throw TimeUp(null, writing: true);
        }

        if (readPending)
        {
            return;
        }

        inReply = false;
        lineLength = 0;
        lineHeadLength = 0;
        if (tls || count == 0)
        {
            return;
        }

        if (buffer[offset] == TlsHandshakeRecord && (!anythingRead || startTlsSent))
        {
            tls = true;
            return;
        }

        startTlsSent = IsStartTls(buffer, offset, count);
    }

    private static bool IsStartTls(byte[] buffer, int offset, int count)
    {
        if (count < StartTlsCommand.Length + 2 || count > StartTlsCommand.Length + 3)
        {
            return false;
        }

        for (var i = 0; i < StartTlsCommand.Length; i++)
        {
            if ((buffer[offset + i] & 0xDF) != StartTlsCommand[i])
            {
                return false;
            }
        }

        return true;
    }

    private int Inspect(byte[] buffer, int offset, int read)
    {
        anythingRead |= read > 0;
        replyBytes += read;
        if (replyBytes > MaxReplyBytes)
        {
            throw new InvalidDataException($"More than {MaxReplyBytes / 1024} KiB sent for one reply.");
        }

        if (tls)
        {
            return read;
        }

        for (var i = offset; i < offset + read; i++)
        {
            var b = buffer[i];
            if (b == (byte)'\n')
            {
                EndLine();
                continue;
            }

            if (lineHeadLength < lineHead.Length)
            {
                lineHead[lineHeadLength++] = b;
            }

            if (++lineLength >= MaxLineLength)
            {
                throw new InvalidDataException($"A reply line of more than {MaxLineLength} bytes.");
            }
        }

        return read;
    }

    // A line "xyz-..." continues the reply; any other ends it. The end of a positive reply to STARTTLS is
    // the last plaintext the server sends.
    private void EndLine()
    {
        var continues = lineHeadLength == 4 && lineHead[3] == (byte)'-';
        lineLength = 0;
        lineHeadLength = 0;
        if (continues)
        {
            if (++replyLines >= MaxReplyLines)
            {
                throw new InvalidDataException($"A reply of more than {MaxReplyLines} lines.");
            }

            return;
        }

        replyLines = 0;
        if (startTlsSent && lineHead[0] != (byte)'2')
        {
            startTlsSent = false;
        }
    }

    private CancellationTokenRegistration WatchCancellation()
    {
        Cancellation.ThrowIfCancellationRequested();
        return Cancellation.CanBeCanceled ? Cancellation.Register(cancel) : default;
    }

    private void Expire(object? state)
    {
        Interlocked.Exchange(ref expired, 1);
        Close(socket);
    }

    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        socket.Dispose();
    }

    private TimeoutException TimeUp(Exception? inner, bool writing) => writing
        ? new($"The server did not take what was sent within {timeout.TotalSeconds:0.#} s.", inner)
        : new($"No answer within {timeout.TotalSeconds:0.#} s.", inner);
}
