using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// A raw ESMTP server on 127.0.0.1 for fault injection and probing tests: banners, delays, tarpits, garbage, STARTTLS and
/// implicit TLS with any certificate, AUTH PLAIN/LOGIN/XOAUTH2, relay policy and transaction failures, as set by
/// <see cref="ScriptedSmtpServerOptions"/>. Each connection is served on its own task (<see cref="ScriptedSmtpSession"/>).
/// </summary>
public sealed class ScriptedSmtpServer : IAsyncDisposable
{
    readonly TcpListener _listener;
    readonly CancellationTokenSource _stop = new();
    readonly object _gate = new();
    readonly MessageInbox<ScriptedMessage> _inbox = new();
    readonly List<string> _authenticatedUsers = [];
    readonly List<string> _authenticationResponses = [];
    readonly List<string> _commands = [];
    readonly Dictionary<Task, TcpClient> _connections = [];
    int _sessionCount;
    int _dataStarts;
    int _dataEnds;
    Task _acceptLoop = Task.CompletedTask;

    ScriptedSmtpServer(ScriptedSmtpServerOptions options)
    {
        Options = options;
        _listener = new TcpListener(IPAddress.Loopback, options.Port);
    }

    public ScriptedSmtpServerOptions Options { get; }

    public int Port { get; private set; }

    /// <summary>TCP connections accepted so far (counted before any TLS handshake).</summary>
    public int SessionCount => Volatile.Read(ref _sessionCount);

    public IReadOnlyList<ScriptedMessage> Messages => _inbox.Snapshot();

    /// <summary>User names of successful AUTH commands, one entry per success.</summary>
    public IReadOnlyList<string> AuthenticatedUsers => Snapshot(_authenticatedUsers);

    /// <summary>Every XOAUTH2 client response received (initial response or the answer to the empty 334), as sent: base64.</summary>
    public IReadOnlyList<string> AuthenticationResponses => Snapshot(_authenticationResponses);

    /// <summary>Every command line received, raw (AUTH lines with their payload: do not print them); not message content or SASL continuations.</summary>
    public IReadOnlyList<string> Commands => Snapshot(_commands);

    /// <summary>Starts listening on 127.0.0.1 and returns the running server.</summary>
    public static Task<ScriptedSmtpServer> StartAsync(ScriptedSmtpServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ct.ThrowIfCancellationRequested();
        Validate(options);
        var server = new ScriptedSmtpServer(options);
        server._listener.Start();
        server.Port = ((IPEndPoint)server._listener.LocalEndpoint).Port;
        server._acceptLoop = server.AcceptLoopAsync();
        return Task.FromResult(server);
    }

    /// <summary>Waits until at least <paramref name="count"/> messages were accepted and returns them all.</summary>
    public Task<IReadOnlyList<ScriptedMessage>> WaitForMessagesAsync(int count, TimeSpan timeout)
        => _inbox.WaitForAsync(count, timeout, $"127.0.0.1:{Port}", () => $"{SessionCount} connection(s), {Volatile.Read(ref _dataStarts)} DATA transaction(s)");

    /// <summary>Stops listening, closes every client connection and waits for the sessions to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        KeyValuePair<Task, TcpClient>[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
        }

        foreach (var (_, client) in connections)
        {
            client.Dispose();
        }

        await Task.WhenAll(connections.Select(connection => connection.Key)).ConfigureAwait(false);
        _stop.Dispose();
    }

    internal void RecordCommand(string line)
    {
        lock (_gate)
        {
            _commands.Add(line);
        }
    }

    internal void RecordAuthenticatedUser(string user)
    {
        lock (_gate)
        {
            _authenticatedUsers.Add(user);
        }
    }

    internal void RecordAuthenticationResponse(string response)
    {
        lock (_gate)
        {
            _authenticationResponses.Add(response);
        }
    }

    /// <summary>Counts a DATA transaction that starts; true when it is one of those to drop.</summary>
    internal bool NextDataStartIsDropped() => Interlocked.Increment(ref _dataStarts) <= Options.DropDuringDataTimes;

    /// <summary>Counts a completed message transfer; true when it is one of those to fail with 451.</summary>
    internal bool NextDataEndFails() => Interlocked.Increment(ref _dataEnds) <= Options.FailDataTimes;

    internal void AddMessage(ScriptedMessage message) => _inbox.AddAsync(message).GetAwaiter().GetResult();

    static void Validate(ScriptedSmtpServerOptions options)
    {
        if (options.BannerCode is < 200 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BannerCode, "BannerCode must be a 2xx, 4xx or 5xx reply code.");
        }

        if (options.Tarpit && options.Garbage)
        {
            throw new ArgumentException("Tarpit and Garbage exclude each other.", nameof(options));
        }

        if (options.BannerDelay < TimeSpan.Zero || options.FailDataTimes < 0 || options.DropDuringDataTimes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "BannerDelay, FailDataTimes and DropDuringDataTimes must not be negative.");
        }
    }

    IReadOnlyList<T> Snapshot<T>(List<T> items)
    {
        lock (_gate)
        {
            return [.. items];
        }
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

            var number = Interlocked.Increment(ref _sessionCount);
            var session = new ScriptedSmtpSession(this, client, number, _stop.Token);
            lock (_gate)
            {
                var connection = Task.Run(session.RunAsync, CancellationToken.None);
                _connections.Add(connection, client);
                _ = connection.ContinueWith(
                    finished =>
                    {
                        lock (_gate)
                        {
                            _connections.Remove(finished);
                        }

                        client.Dispose();
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
    }
}
