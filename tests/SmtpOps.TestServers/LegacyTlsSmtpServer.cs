using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace SmtpOps.TestServers;

/// <summary>
/// An ESMTP server on 127.0.0.1 whose STARTTLS is BouncyCastle's TLS server, not this machine's OpenSSL, so it can offer
/// what OpenSSL 3 refuses at its security level: TLS 1.0/1.1, anonymous and NULL suites, CBC-only and non-forward-secret
/// configurations, and a session cache shared between ports (<see cref="LegacyTlsSmtpServerOptions"/>). It greets,
/// answers EHLO (STARTTLS before TLS), MAIL/RCPT/RSET with 250 and QUIT with 221; it never takes a message.
/// </summary>
public sealed class LegacyTlsSmtpServer : IAsyncDisposable
{
    readonly TcpListener _listener;
    readonly CancellationTokenSource _stop = new();
    readonly List<Task> _sessions = [];
    readonly LegacyTlsSmtpServerOptions _options;
    readonly AsymmetricKeyParameter? _privateKey;
    readonly byte[]? _certificateDer;
    readonly Task _acceptLoop;
    int _handshakes;

    LegacyTlsSmtpServer(LegacyTlsSmtpServerOptions options)
    {
        _options = options;
        if (options.Certificate is { } certificate)
        {
            using var rsa = certificate.GetRSAPrivateKey() ?? throw new ArgumentException("The certificate needs an RSA private key.", nameof(options));
            _privateKey = PrivateKeyFactory.CreateKey(rsa.ExportPkcs8PrivateKey());
            _certificateDer = certificate.RawData;
        }

        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptAsync);
    }

    /// <summary>Gets the port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Gets how many TLS handshakes completed (full or resumed).</summary>
    public int Handshakes => Volatile.Read(ref _handshakes);

    /// <summary>Starts listening on a free port of 127.0.0.1.</summary>
    public static LegacyTlsSmtpServer Start(LegacyTlsSmtpServerOptions options) => new(options ?? throw new ArgumentNullException(nameof(options)));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        Task[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions];
        }

        await Task.WhenAll(sessions).ConfigureAwait(false);
        _stop.Dispose();
    }

    async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_sessions)
            {
                _sessions.RemoveAll(t => t.IsCompleted);
                // BouncyCastle's TLS is blocking: each session gets a thread of its own.
                _sessions.Add(Task.Factory.StartNew(() => Serve(socket), TaskCreationOptions.LongRunning));
            }
        }
    }

    void Serve(Socket socket)
    {
        using var registration = _stop.Token.Register(socket.Dispose);
        try
        {
            using var network = new NetworkStream(socket, ownsSocket: true);
            socket.ReceiveTimeout = 10_000;
            Stream stream = network;
            var tls = false;
            Write(stream, "220 localhost ESMTP legacy TLS test server");
            while (ReadLine(stream) is { } line)
            {
                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        Write(stream, tls ? "250-localhost\r\n250 PIPELINING" : "250-localhost\r\n250-PIPELINING\r\n250 STARTTLS");
                        break;
                    case "STARTTLS" when !tls:
                        Write(stream, "220 2.0.0 Ready to start TLS");
                        var protocol = new TlsServerProtocol(network);
                        protocol.Accept(new Peer(this));
                        Interlocked.Increment(ref _handshakes);
                        stream = protocol.Stream;
                        tls = true;
                        break;
                    case "QUIT":
                        Write(stream, "221 2.0.0 Bye");
                        stream.Dispose();
                        return;
                    case "MAIL" or "RCPT" or "RSET" or "NOOP" or "HELO":
                        Write(stream, "250 2.0.0 OK");
                        break;
                    default:
                        Write(stream, "502 5.5.2 Not implemented");
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or TlsException)
        {
            // The client hung up, or refused the handshake: what a probe of a weak server does on purpose.
        }
    }

    static void Write(Stream stream, string reply)
    {
        var bytes = Encoding.ASCII.GetBytes(reply + "\r\n");
        stream.Write(bytes, 0, bytes.Length);
        stream.Flush();
    }

    // Byte by byte, so nothing sent after STARTTLS is read before the handshake takes the stream.
    static string? ReadLine(Stream stream)
    {
        var line = new StringBuilder();
        while (true)
        {
            var b = stream.ReadByte();
            if (b < 0)
            {
                return null;
            }

            if (b == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)b);
        }
    }

    sealed class Peer(LegacyTlsSmtpServer server) : DefaultTlsServer(new BcTlsCrypto(new SecureRandom()))
    {
        public override TlsSession? GetSessionToResume(byte[] sessionID)
            => server._options.SessionCache?.Find(sessionID);

        public override byte[]? GetNewSessionID()
            => server._options.SessionCache is null ? null : RandomNumberGenerator.GetBytes(32);

        // The session handed to NotifySession at ServerHello is not resumable yet; the context's is, once complete.
        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            if (m_context.Session is { } session)
            {
                server._options.SessionCache?.Store(session);
            }
        }

        protected override ProtocolVersion[] GetSupportedVersions() => server._options.Versions;

        protected override int[] GetSupportedCipherSuites()
            => server._options.CipherSuites is { } suites ? TlsUtilities.GetSupportedCipherSuites(Crypto, suites) : base.GetSupportedCipherSuites();

        protected override TlsCredentialedSigner GetRsaSignerCredentials()
        {
            var (key, certificate) = Credentials();
            var version = m_context.ServerVersion;
            var algorithm = TlsUtilities.IsSignatureAlgorithmsExtensionAllowed(version)
                ? new SignatureAndHashAlgorithm(Org.BouncyCastle.Tls.HashAlgorithm.sha256, SignatureAlgorithm.rsa)
                : null;
            return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), (BcTlsCrypto)Crypto, key, certificate, algorithm);
        }

        protected override TlsCredentialedDecryptor GetRsaEncryptionCredentials()
        {
            var (key, certificate) = Credentials();
            return new BcDefaultTlsCredentialedDecryptor((BcTlsCrypto)Crypto, certificate, key);
        }

        (AsymmetricKeyParameter Key, Certificate Certificate) Credentials()
        {
            if (server._privateKey is null || server._certificateDer is null)
            {
                throw new TlsFatalAlert(AlertDescription.internal_error);
            }

            var certificate = new Certificate([new BcTlsCertificate((BcTlsCrypto)Crypto, server._certificateDer)]);
            return (server._privateKey, certificate);
        }
    }
}
