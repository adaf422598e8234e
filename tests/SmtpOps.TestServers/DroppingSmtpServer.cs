using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// A minimal raw SMTP server on 127.0.0.1 for faults the library cannot inject: for the first N DATA transactions
/// it resets the connection after receiving part of the message, before the final dot and without a reply.
/// No PIPELINING, no STARTTLS, no AUTH.
/// </summary>
public sealed class DroppingSmtpServer : IAsyncDisposable
{
    readonly TcpListener _listener;
    readonly int _dropDuringDataTimes;
    readonly CancellationTokenSource _stop = new();
    readonly object _gate = new();
    readonly List<byte[]> _messages = [];
    readonly HashSet<Task> _connections = [];
    int _sessionCount;
    int _dataTransactions;
    Task _acceptLoop = Task.CompletedTask;

    DroppingSmtpServer(int dropDuringDataTimes)
    {
        _dropDuringDataTimes = dropDuringDataTimes;
        _listener = new TcpListener(IPAddress.Loopback, 0);
    }

    public int Port { get; private set; }

    /// <summary>TCP connections accepted so far.</summary>
    public int SessionCount => Volatile.Read(ref _sessionCount);

    /// <summary>Completed messages (dot-unstuffed, ending with the CRLF of their last line, without the final ".").</summary>
    public IReadOnlyList<byte[]> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    public static Task<DroppingSmtpServer> StartAsync(int dropDuringDataTimes, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var server = new DroppingSmtpServer(dropDuringDataTimes);
        server._listener.Start();
        server.Port = ((IPEndPoint)server._listener.LocalEndpoint).Port;
        server._acceptLoop = server.AcceptLoopAsync();
        return Task.FromResult(server);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
        _stop.Dispose();
    }

    async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _sessionCount);
            var connection = Task.Run(() => ServeAsync(client), CancellationToken.None);
            lock (_gate)
            {
                _connections.Add(connection);
            }

            _ = connection.ContinueWith(
                finished =>
                {
                    lock (_gate)
                    {
                        _connections.Remove(finished);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var reader = new LineReader(stream);
                var ct = _stop.Token;
                await ReplyAsync(stream, "220 localhost ESMTP test server (dropping)", ct).ConfigureAwait(false);
                while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                {
                    var text = Encoding.ASCII.GetString(line);
                    var verb = (text.Length >= 4 ? text[..4] : text).ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            await ReplyAsync(stream, "250-localhost\r\n250 8BITMIME", ct).ConfigureAwait(false);
                            break;
                        case "HELO" or "MAIL" or "RCPT" or "RSET" or "NOOP":
                            await ReplyAsync(stream, "250 OK", ct).ConfigureAwait(false);
                            break;
                        case "QUIT":
                            await ReplyAsync(stream, "221 Bye", ct).ConfigureAwait(false);
                            return;
                        case "DATA":
                            await ReplyAsync(stream, "354 End data with <CR><LF>.<CR><LF>", ct).ConfigureAwait(false);
                            if (Interlocked.Increment(ref _dataTransactions) <= _dropDuringDataTimes)
                            {
                                // Read the first line of the message, then reset the connection (RST, no reply).
                                await reader.ReadLineAsync(ct).ConfigureAwait(false);
                                client.Client.Close(0);
                                return;
                            }

                            var message = await ReadMessageAsync(reader, ct).ConfigureAwait(false);
                            if (message is null)
                            {
                                return;
                            }

                            lock (_gate)
                            {
                                _messages.Add(message);
                            }

                            await ReplyAsync(stream, "250 OK queued", ct).ConfigureAwait(false);
                            break;
                        default:
                            await ReplyAsync(stream, "500 Command not recognized", ct).ConfigureAwait(false);
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away or the server is stopping.
            }
        }
    }

    static async Task<byte[]?> ReadMessageAsync(LineReader reader, CancellationToken ct)
    {
        using var message = new MemoryStream();
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line is [(byte)'.'])
            {
                return message.ToArray();
            }

            var start = line is [(byte)'.', ..] ? 1 : 0;
            message.Write(line, start, line.Length - start);
            message.Write("\r\n"u8);
        }

        return null;
    }

    static Task ReplyAsync(Stream stream, string reply, CancellationToken ct) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n"), ct).AsTask();

    /// <summary>Reads CRLF-terminated lines (returned without the CRLF); null at end of stream.</summary>
    sealed class LineReader(Stream stream)
    {
        readonly byte[] _buffer = new byte[8192];
        readonly MemoryStream _line = new();
        int _offset;
        int _count;

        public async Task<byte[]?> ReadLineAsync(CancellationToken ct)
        {
            _line.SetLength(0);
            while (true)
            {
                if (_offset == _count)
                {
                    _offset = 0;
                    _count = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
                    if (_count == 0)
                    {
                        return null;
                    }
                }

                var newline = Array.IndexOf(_buffer, (byte)'\n', _offset, _count - _offset);
                var end = newline < 0 ? _count : newline + 1;
                _line.Write(_buffer, _offset, end - _offset);
                _offset = end;
                if (newline >= 0)
                {
                    var line = _line.ToArray();
                    var length = line.Length >= 2 && line[^2] == '\r' ? line.Length - 2 : line.Length - 1;
                    return line[..length];
                }
            }
        }
    }
}
