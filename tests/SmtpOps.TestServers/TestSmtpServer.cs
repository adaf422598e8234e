using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using LibraryServer = SmtpServer.SmtpServer;
using LibraryServiceProvider = SmtpServer.ComponentModel.ServiceProvider;

namespace SmtpOps.TestServers;

/// <summary>An SMTP server on 127.0.0.1 (SmtpServer library) that records what it receives.</summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    const string SessionNumberKey = "SmtpOps.TestServers.SessionNumber";

    readonly TestSmtpServerOptions _options;
    readonly HashSet<string> _rejectRecipients;
    readonly CancellationTokenSource _stop = new();
    readonly object _gate = new();
    readonly MessageInbox<ReceivedMessage> _inbox = new();
    readonly List<string> _authenticatedUsers = [];
    int _sessionCount;
    int _dataAttempts;
    Task _running = Task.CompletedTask;

    TestSmtpServer(TestSmtpServerOptions options, X509Certificate2? certificate)
    {
        _options = options;
        Certificate = certificate;
        _rejectRecipients = new HashSet<string>(options.RejectRecipients, StringComparer.OrdinalIgnoreCase);
    }

    public int Port { get; private set; }

    /// <summary>The server certificate, or null without TLS.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>TCP connections accepted so far (counted before any TLS handshake).</summary>
    public int SessionCount => Volatile.Read(ref _sessionCount);

    public IReadOnlyList<ReceivedMessage> Messages => _inbox.Snapshot();

    /// <summary>User names of successful AUTH commands, one entry per success.</summary>
    public IReadOnlyList<string> AuthenticatedUsers
    {
        get
        {
            lock (_gate)
            {
                return [.. _authenticatedUsers];
            }
        }
    }

    /// <summary>Starts the server; returns once it listens on 127.0.0.1.</summary>
    public static async Task<TestSmtpServer> StartAsync(TestSmtpServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var certificate = options.Tls == TestSmtpTls.None ? null : options.Certificate ?? TestCertificates.CreateSelfSigned("localhost");
        if (options.MessageDirectory is not null)
        {
            Directory.CreateDirectory(options.MessageDirectory);
        }

        var server = new TestSmtpServer(options, certificate);
        try
        {
            await server.StartListeningAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> messages were accepted and returns them all.</summary>
    public Task<IReadOnlyList<ReceivedMessage>> WaitForMessagesAsync(int count, TimeSpan timeout)
        => _inbox.WaitForAsync(count, timeout, $"127.0.0.1:{Port}", () => $"{SessionCount} connection(s), {Volatile.Read(ref _dataAttempts)} DATA transaction(s)");

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Cancellation surfaces as exceptions from the library; the server is stopped either way.
        }

        _stop.Dispose();
    }

    async Task StartListeningAsync(CancellationToken ct)
    {
        var listenerFactory = new CountingListenerFactory(OnConnectionAccepted);
        var builder = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(endpoint =>
            {
                endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, _options.Port))
                    .IsSecure(_options.Tls == TestSmtpTls.Implicit)
                    .AuthenticationRequired(_options.Users is not null)
                    .AllowUnsecureAuthentication(_options.AllowUnsecureAuthentication);
                if (Certificate is not null)
                {
                    endpoint.Certificate(Certificate);
                }
            });

        var services = new LibraryServiceProvider();
        services.Add((IEndpointListenerFactory)listenerFactory);
        services.Add((IMessageStore)new Store(this));
        services.Add((IMailboxFilter)new RecipientFilter(this));
        if (_options.Users is not null)
        {
            services.Add((IUserAuthenticator)new DelegatingUserAuthenticator(Authenticate));
        }

        var server = new LibraryServer(builder.Build(), services);
        _running = Task.Run(() => server.StartAsync(_stop.Token), CancellationToken.None);
        var first = await Task.WhenAny(listenerFactory.Started, _running).WaitAsync(ct).ConfigureAwait(false);
        if (first != listenerFactory.Started)
        {
            await _running.ConfigureAwait(false); // surfaces the failure (port in use, ...)
            throw new InvalidOperationException("The SMTP server stopped before it was listening.");
        }

        Port = await listenerFactory.Started.ConfigureAwait(false);
    }

    void OnConnectionAccepted(ISessionContext context)
    {
        var number = Interlocked.Increment(ref _sessionCount);
        context.Properties[SessionNumberKey] = number;
        if (_options.MessageDirectory is not null)
        {
            context.Properties.TryGetValue(EndpointListener.RemoteEndPointKey, out var remote);
            var line = FormattableString.Invariant($"{number} {DateTimeOffset.UtcNow:O} {remote}{Environment.NewLine}");
            lock (_gate)
            {
                File.AppendAllText(Path.Combine(_options.MessageDirectory, "sessions.log"), line);
            }
        }
    }

    bool Authenticate(ISessionContext context, string user, string password)
    {
        var ok = _options.Users!.TryGetValue(user, out var expected) && expected == password;
        if (ok)
        {
            lock (_gate)
            {
                _authenticatedUsers.Add(user);
            }
        }

        return ok;
    }

    async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _dataAttempts) <= _options.FailDataTimes)
        {
            return new SmtpResponse((SmtpReplyCode)_options.FailDataReply.Code, _options.FailDataReply.Text);
        }

        var message = new ReceivedMessage(
            transaction.From?.AsAddress() ?? string.Empty,
            [.. transaction.To.Select(mailbox => mailbox.AsAddress())],
            WithFinalLineEnd(buffer),
            context.Properties.TryGetValue(SessionNumberKey, out var number) ? (int)number : 0,
            context.Authentication.IsAuthenticated ? context.Authentication.User : null,
            context.Pipe.IsSecure);

        await _inbox.AddAsync(message, number => _options.MessageDirectory is null
            ? Task.CompletedTask
            : WriteMessageFilesAsync(_options.MessageDirectory, number, message, cancellationToken)).ConfigureAwait(false);
        return SmtpResponse.Ok;
    }

    // The library hands over the content without the CRLF that ends its last line (it cuts at "\r\n.\r\n");
    // per RFC 5321 4.1.1.4 that CRLF belongs to the message, so put it back.
    static byte[] WithFinalLineEnd(ReadOnlySequence<byte> buffer)
    {
        var data = new byte[buffer.Length + 2];
        buffer.CopyTo(data);
        data[^2] = (byte)'\r';
        data[^1] = (byte)'\n';
        return data;
    }

    static async Task WriteMessageFilesAsync(string directory, int index, ReceivedMessage message, CancellationToken cancellationToken)
    {
        var name = index.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var envelope = JsonSerializer.SerializeToUtf8Bytes(new
        {
            from = message.From,
            recipients = message.Recipients,
            sessionNumber = message.SessionNumber,
            authenticatedUser = message.AuthenticatedUser,
            secure = message.Secure,
        });
        await WriteAtomicallyAsync(Path.Combine(directory, name + ".envelope.json"), envelope, cancellationToken).ConfigureAwait(false);
        await WriteAtomicallyAsync(Path.Combine(directory, name + ".eml"), message.Data, cancellationToken).ConfigureAwait(false);
    }

    static async Task WriteAtomicallyAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, content, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    sealed class Store(TestSmtpServer server) : IMessageStore
    {
        public Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken) =>
            server.SaveAsync(context, transaction, buffer, cancellationToken);
    }

    sealed class RecipientFilter(TestSmtpServer server) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) =>
            Task.FromResult(true);

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken) =>
            Task.FromResult(!server._rejectRecipients.Contains(to.AsAddress()));
    }
}
