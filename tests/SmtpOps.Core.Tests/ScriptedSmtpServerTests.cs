// Past the house's 450 lines on purpose: one test per scripted behaviour of the raw test server, which other tests
// depend on; they share a small raw client at the end.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Tasks;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>The scripted test server behaves as the probing and fault-injection tests need, checked with a real MailKit client.</summary>
public sealed class ScriptedSmtpServerTests
{
    private const string User = "bob@contoso.test";
    private const string Token = "token-123";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly X509Certificate2 Authority = TestCertificates.CreateAuthority();
    private static readonly X509Certificate2 ValidLeaf = TestCertificates.IssueServerCertificate(
        Authority, new[] { "localhost", "127.0.0.1" }, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

    private static readonly Dictionary<string, string> Tokens = new() { [User] = Token };

    private static string ExpectedOAuth2Response(string user, string token) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"user={user}\u0001auth=Bearer {token}\u0001\u0001"));

    private static MimeMessage Message(string to = "ops@contoso.test") => new(
        new[] { MailboxAddress.Parse("reports@contoso.test") },
        new[] { MailboxAddress.Parse(to) },
        "Daily report",
        new TextPart("plain") { Text = "All systems nominal." });

    /// <summary>A client that trusts exactly <paramref name="pinned"/> and reports what its certificate callback saw.</summary>
    private static SmtpClient Client(X509Certificate2? pinned = null, CertificateObservation? seen = null, int timeout = 10000) => new()
    {
        Timeout = timeout,
        ServerCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null)
            {
                return false;
            }

            if (seen is not null)
            {
                seen.Errors = errors;
                seen.ChainStatus = ChainStatusAgainstTestAuthority(certificate);
                return true;
            }

            return pinned is not null && certificate.GetCertHashString() == pinned.Thumbprint;
        },
    };

    private static X509ChainStatusFlags ChainStatusAgainstTestAuthority(X509Certificate certificate)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.Build(leaf);
        return chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (flags, status) => flags | status.Status);
    }

    [Fact]
    public async Task XOAuth2OverStartTlsSucceedsWithTheExactSaslString()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { StartTlsCertificate = ValidLeaf, OAuthTokens = Tokens });
        using var client = Client(ValidLeaf);

        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(new SaslMechanismOAuth2(User, Token));
        await client.SendAsync(Message());
        await client.DisconnectAsync(true);

        var expected = ExpectedOAuth2Response(User, Token);
        Assert.Equal(new[] { expected }, server.AuthenticationResponses);
        Assert.Contains($"AUTH XOAUTH2 {expected}", server.Commands); // sent as the initial response
        Assert.Equal(new[] { User }, server.AuthenticatedUsers);
        var received = Assert.Single(await server.WaitForMessagesAsync(1, Wait));
        Assert.Equal(User, received.AuthenticatedUser);
        Assert.True(received.Secure);
    }

    [Fact]
    public async Task XOAuth2WithAWrongTokenIsAnAuthenticationException()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { StartTlsCertificate = ValidLeaf, OAuthTokens = Tokens });
        using var client = Client(ValidLeaf);
        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.StartTls);

        await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync(new SaslMechanismOAuth2(User, "stolen")));

        Assert.Empty(server.AuthenticatedUsers);
        Assert.Equal(new[] { ExpectedOAuth2Response(User, "stolen") }, server.AuthenticationResponses);
        Assert.True(client.IsConnected); // 535 ends the exchange, not the session
        await client.NoOpAsync();
    }

    [Fact]
    public async Task XOAuth2AfterAnEmptyContinuationIsAccepted()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { OAuthTokens = Tokens, AdvertiseAuthBeforeTls = true });
        await using var session = await RawSession.ConnectAsync(server.Port);

        Assert.Contains("AUTH XOAUTH2", await session.SendAsync("EHLO probe.test"));
        Assert.Equal("334 ", await session.SendAsync("AUTH XOAUTH2"));
        Assert.StartsWith("235 2.7.0", await session.SendAsync(ExpectedOAuth2Response(User, Token)));

        Assert.Equal(new[] { ExpectedOAuth2Response(User, Token) }, server.AuthenticationResponses);
        Assert.Equal(new[] { User }, server.AuthenticatedUsers);
    }

    [Fact]
    public async Task XOAuth2FailureIsAJsonChallengeThen535()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { OAuthTokens = Tokens, AdvertiseAuthBeforeTls = true });
        await using var session = await RawSession.ConnectAsync(server.Port);
        await session.SendAsync("EHLO probe.test");

        // "Bearer" spelled differently is not the XOAUTH2 format.
        var malformed = Convert.ToBase64String(Encoding.UTF8.GetBytes($"user={User}\u0001auth=bearer {Token}\u0001\u0001"));
        var challenge = await session.SendAsync("AUTH XOAUTH2 " + malformed);

        Assert.NotNull(challenge);
        Assert.StartsWith("334 ", challenge);
        Assert.Contains("\"status\":\"401\"", Encoding.UTF8.GetString(Convert.FromBase64String(challenge[4..])));
        Assert.StartsWith("535 5.7.8", await session.SendAsync(string.Empty));
        Assert.Empty(server.AuthenticatedUsers);
    }

    [Fact]
    public async Task AuthIsOfferedOnlyAfterTlsUnlessAllowed()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { StartTlsCertificate = ValidLeaf, Users = new Dictionary<string, string> { ["alice"] = "pw" } });
        using var plain = Client(ValidLeaf);
        using var secure = Client(ValidLeaf);

        await plain.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None);
        await secure.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.StartTls);

        Assert.True(plain.Capabilities.HasFlag(SmtpCapabilities.StartTLS));
        Assert.Empty(plain.AuthenticationMechanisms);
        Assert.Equal(new[] { "LOGIN", "PLAIN" }, secure.AuthenticationMechanisms.OrderBy(m => m, StringComparer.Ordinal));
        Assert.True(secure.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
        Assert.Equal(35882577u, secure.MaxSize);
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("LOGIN")]
    public async Task PasswordMechanismsCheckTheUsers(string mechanism)
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { ImplicitTlsCertificate = ValidLeaf, Users = new Dictionary<string, string> { ["alice"] = "pw" } });
        using var client = Client(ValidLeaf);
        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.SslOnConnect);
        client.AuthenticationMechanisms.RemoveWhere(m => m != mechanism);

        await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync(new NetworkCredential("alice", "wrong")));
        await client.AuthenticateAsync(new NetworkCredential("alice", "pw"));

        Assert.Equal(new[] { "alice" }, server.AuthenticatedUsers);
        Assert.Contains(server.Commands, command => command.StartsWith("AUTH " + mechanism, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AcceptedDomainsRefuseRelayingUnlessAuthenticated()
    {
        await using var closed = await ScriptedSmtpServer.StartAsync(new()
        {
            AcceptedDomains = new[] { "contoso.test" },
            Users = new Dictionary<string, string> { ["alice"] = "pw" },
            AdvertiseAuthBeforeTls = true,
        });
        using var client = Client();
        await client.ConnectAsync("127.0.0.1", closed.Port, SecureSocketOptions.None);

        await client.SendAsync(Message("ops@contoso.test"));
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message("someone@fabrikam.test")));
        await client.AuthenticateAsync(new NetworkCredential("alice", "pw"));
        await client.SendAsync(Message("someone@fabrikam.test"));

        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
        Assert.Equal(550, (int)refused.StatusCode);
        Assert.StartsWith("5.7.1 Relaying denied", refused.Message, StringComparison.Ordinal);
        var messages = await closed.WaitForMessagesAsync(2, Wait);
        Assert.Equal(new[] { "ops@contoso.test", "someone@fabrikam.test" }, messages.Select(m => m.Recipients.Single()));
    }

    [Fact]
    public async Task WithoutAcceptedDomainsTheServerIsAnOpenRelay()
    {
        await using var open = await ScriptedSmtpServer.StartAsync(new());
        using var client = Client();
        await client.ConnectAsync("127.0.0.1", open.Port, SecureSocketOptions.None);

        await client.SendAsync(Message("someone@fabrikam.test"));

        Assert.Null(Assert.Single(await open.WaitForMessagesAsync(1, Wait)).AuthenticatedUser);
    }

    [Fact]
    public async Task RejectedRecipientsAndFailedDataAreReported()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { RejectRecipients = new[] { "gone@contoso.test" }, FailDataTimes = 1 });
        using var client = Client();
        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None);

        var rejected = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message("gone@contoso.test")));
        var failed = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message()));
        await client.SendAsync(Message());

        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, rejected.ErrorCode);
        Assert.StartsWith("5.1.1", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(SmtpErrorCode.MessageNotAccepted, failed.ErrorCode);
        Assert.Equal(451, (int)failed.StatusCode);
        Assert.Single(await server.WaitForMessagesAsync(1, Wait));
    }

    [Theory]
    [InlineData(554)]
    [InlineData(421)]
    public async Task ARefusingBannerFailsTheConnectWithSmtpCommandException(int code)
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { BannerCode = code, BannerText = "mx.contoso.test No SMTP service here" });
        using var client = Client();

        var failure = await Assert.ThrowsAsync<SmtpCommandException>(() => client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None));

        Assert.Equal(SmtpErrorCode.UnexpectedStatusCode, failure.ErrorCode);
        Assert.Equal(code, (int)failure.StatusCode);
        Assert.Equal("mx.contoso.test No SMTP service here", failure.Message);
        Assert.False(client.IsConnected);
        Assert.Empty(server.Commands); // MailKit drops the connection without QUIT
    }

    [Fact]
    public async Task A554BannerAnswersCommandsWith503AndQuitWith221()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { BannerCode = 554 });
        await using var session = await RawSession.ConnectAsync(server.Port);

        Assert.StartsWith("554 ", session.Banner);
        Assert.StartsWith("503 ", await session.SendAsync("EHLO probe.test"));
        Assert.StartsWith("503 ", await session.SendAsync("MAIL FROM:<a@contoso.test>"));
        Assert.StartsWith("221 ", await session.SendAsync("QUIT"));
    }

    [Fact]
    public async Task ATarpitFailsTheConnectWithinTheClientTimeout()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { Tarpit = true });
        using var client = Client(timeout: 500);
        var stopwatch = Stopwatch.StartNew();

        var failure = await Record.ExceptionAsync(() => client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None));

        stopwatch.Stop();
        Assert.IsType<TimeoutException>(failure); // "Operation timed out after 500 milliseconds"
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"took {stopwatch.Elapsed}");
        Assert.Equal(1, server.SessionCount);
        Assert.Empty(server.Commands);
    }

    [Fact]
    public async Task DisposingTheServerClosesTarpittedConnections()
    {
        var server = await ScriptedSmtpServer.StartAsync(new() { Tarpit = true });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        var read = tcp.GetStream().ReadAsync(new byte[16]).AsTask();

        await server.DisposeAsync().AsTask().WaitAsync(Wait);

        var outcome = await Record.ExceptionAsync(async () => Assert.Equal(0, await read.WaitAsync(Wait)));
        Assert.True(outcome is null or IOException, outcome?.ToString());
    }

    [Fact]
    public async Task GarbageIsAnSmtpProtocolException()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { Garbage = true });
        using var client = Client();

        // "Unable to parse status code returned by the server."
        await Assert.ThrowsAsync<SmtpProtocolException>(() => client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None));

        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task TheBannerIsDelayed()
    {
        var delay = TimeSpan.FromMilliseconds(400);
        await using var server = await ScriptedSmtpServer.StartAsync(new() { BannerDelay = delay });
        using var client = Client();
        var stopwatch = Stopwatch.StartNew();

        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None);

        stopwatch.Stop();
        Assert.True(stopwatch.Elapsed >= delay - TimeSpan.FromMilliseconds(50), $"took {stopwatch.Elapsed}");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(8), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task ImplicitTlsServesTheCertificateFromTheFirstByte()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { ImplicitTlsCertificate = ValidLeaf });
        var seen = new CertificateObservation();
        using var client = Client(seen: seen);

        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.SslOnConnect);
        await client.SendAsync(Message());

        Assert.True(client.IsSecure);
        Assert.Equal(X509ChainStatusFlags.NoError, seen.ChainStatus); // trusted through the test authority
        Assert.False(seen.Errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.True(Assert.Single(await server.WaitForMessagesAsync(1, Wait)).Secure);
    }

    [Fact]
    public async Task AnExpiredCertificateIsServed()
    {
        var now = DateTimeOffset.UtcNow;
        using var expired = TestCertificates.IssueServerCertificate(Authority, new[] { "localhost", "127.0.0.1" }, now.AddDays(-30), now.AddDays(-1));
        await using var server = await ScriptedSmtpServer.StartAsync(new() { StartTlsCertificate = expired });
        var seen = new CertificateObservation();
        using var client = Client(seen: seen);

        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.StartTls);

        Assert.True(seen.Errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True(seen.ChainStatus.HasFlag(X509ChainStatusFlags.NotTimeValid), seen.ChainStatus.ToString());
    }

    [Fact]
    public async Task AMismatchedCertificateIsServed()
    {
        var now = DateTimeOffset.UtcNow;
        using var mismatched = TestCertificates.IssueServerCertificate(Authority, new[] { "wrong.example" }, now.AddDays(-1), now.AddDays(30));
        await using var server = await ScriptedSmtpServer.StartAsync(new() { StartTlsCertificate = mismatched });
        var seen = new CertificateObservation();
        using var client = Client(seen: seen);

        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.StartTls);

        Assert.True(seen.Errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.Equal(X509ChainStatusFlags.NoError, seen.ChainStatus);
    }

    [Fact]
    public async Task ChunkingIsUsedWhenAdvertised()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { Extensions = [.. ScriptedSmtpServerOptions.DefaultExtensions, "CHUNKING", "SMTPUTF8"] });
        using var client = new ChunkingSmtpClient();
        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.None);

        await client.SendAsync(Message());

        Assert.Contains(server.Commands, command => command.StartsWith("BDAT ", StringComparison.Ordinal));
        Assert.DoesNotContain("DATA", server.Commands);
        Assert.Contains("All systems nominal.", Encoding.UTF8.GetString(Assert.Single(await server.WaitForMessagesAsync(1, Wait)).Data));
    }

    [Fact]
    public async Task BasicCommandsAndLimitsAreAnswered()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new());
        await using var session = await RawSession.ConnectAsync(server.Port);

        Assert.Equal("220 localhost ESMTP SmtpOps test server", session.Banner);
        Assert.StartsWith("503 ", await session.SendAsync("MAIL FROM:<a@contoso.test>"));
        Assert.Equal("250 localhost", await session.SendAsync("HELO probe.test"));
        Assert.StartsWith("252 ", await session.SendAsync("VRFY postmaster"));
        Assert.StartsWith("250 ", await session.SendAsync("NOOP"));
        Assert.StartsWith("500 ", await session.SendAsync("ETRN contoso.test"));
        Assert.StartsWith("503 ", await session.SendAsync("RCPT TO:<b@contoso.test>"));
        Assert.StartsWith("552 ", await session.SendAsync("MAIL FROM:<a@contoso.test> SIZE=99999999999"));
        Assert.StartsWith("250 ", await session.SendAsync("MAIL FROM:<a@contoso.test> SIZE=100"));
        Assert.StartsWith("250 ", await session.SendAsync("RSET"));
        Assert.StartsWith("503 ", await session.SendAsync("DATA"));
        Assert.StartsWith("500 5.5.2 Line too long", await session.SendAsync("NOOP " + new string('x', 20000)));
        Assert.StartsWith("250 ", await session.SendAsync("NOOP")); // the session goes on
        Assert.StartsWith("221 ", await session.SendAsync("QUIT"));
        Assert.Null(await session.ReadReplyAsync());
    }

    /// <summary>MailKit uses BDAT only for binary content unless told to prefer it.</summary>
    private sealed class ChunkingSmtpClient : SmtpClient
    {
        protected override bool PreferSendAsBinaryData => true;
    }

    /// <summary>What a client's certificate callback was given, and the chain status against the test authority.</summary>
    private sealed class CertificateObservation
    {
        public SslPolicyErrors Errors { get; set; }

        public X509ChainStatusFlags ChainStatus { get; set; } = X509ChainStatusFlags.NoError;
    }

    /// <summary>A plain-text SMTP dialogue over TCP, for what MailKit does not let a test do.</summary>
    private sealed class RawSession : IAsyncDisposable
    {
        private readonly TcpClient tcp;
        private readonly StreamReader reader;
        private readonly Stream stream;

        private RawSession(TcpClient tcp)
        {
            this.tcp = tcp;
            stream = tcp.GetStream();
            reader = new StreamReader(stream, Encoding.UTF8);
        }

        public string Banner { get; private set; } = string.Empty;

        public static async Task<RawSession> ConnectAsync(int port)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var session = new RawSession(tcp);
            session.Banner = await session.ReadReplyAsync() ?? throw new IOException("No banner.");
            return session;
        }

        /// <summary>Sends a line and returns the reply (lines joined with LF); null if the server closed.</summary>
        public async Task<string?> SendAsync(string line)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
            return await ReadReplyAsync();
        }

        public async Task<string?> ReadReplyAsync()
        {
            var lines = new List<string>();
            while (await reader.ReadLineAsync().WaitAsync(Wait) is { } line)
            {
                lines.Add(line);
                if (line.Length < 4 || line[3] != '-')
                {
                    return string.Join("\n", lines);
                }
            }

            return lines.Count == 0 ? null : string.Join("\n", lines);
        }

        public ValueTask DisposeAsync()
        {
            reader.Dispose();
            tcp.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
