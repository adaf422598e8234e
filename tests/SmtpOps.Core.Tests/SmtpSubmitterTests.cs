using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Tests.TestSmtpConnection;

namespace SmtpOps.Tests;

/// <summary>SmtpSubmitter against real SMTP servers on 127.0.0.1.</summary>
public sealed class SmtpSubmitterTests
{

    private static MailMessageDefinition Message(params string[] to) => new()
    {
        From = "Reports <reports@contoso.test>",
        To = to.Length == 0 ? new[] { "ops@contoso.test" } : to,
        Subject = "Daily report",
        TextBody = "All systems nominal.",
    };

    [Fact]
    public async Task StartTlsWithPinnedCertificateAuthenticatesAndDelivers()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Users = Users });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls, SmtpCredential.FromPassword("alice", Password)));

        var result = await submitter.SendAsync(Message());
        await submitter.DisconnectAsync();

        var received = Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.True(received.Secure);
        Assert.Equal("alice", received.AuthenticatedUser);
        Assert.Equal("reports@contoso.test", received.From);
        Assert.Equal(new[] { "ops@contoso.test" }, received.Recipients);
        Assert.NotEqual("None", result.TlsProtocol);
        Assert.Equal(1, result.Attempts);
        Assert.Equal("ops@contoso.test", Assert.Single(result.Accepted).Address);
        Assert.Contains(result.MessageId, Encoding.UTF8.GetString(received.Data));
    }

    [Fact]
    public async Task BccIsInTheEnvelopeButNotInTheHeaders()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));

        await submitter.SendAsync(new MailMessageDefinition { From = "a@contoso.test", To = new[] { "b@contoso.test" }, Bcc = new[] { "secret@contoso.test" }, TextBody = "x" });

        var received = Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Contains("secret@contoso.test", received.Recipients);
        Assert.DoesNotContain("secret@contoso.test", Encoding.UTF8.GetString(received.Data));
    }

    [Fact]
    public async Task ImplicitTlsDelivers()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.Implicit, Users = Users });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.SslOnConnect, SmtpCredential.FromPassword("alice", Password)));

        var result = await submitter.SendAsync(Message());

        Assert.True((await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Secure);
        Assert.NotEqual("None", result.TlsProtocol);
        Assert.NotNull(result.TlsCipher);
    }

    [Fact]
    public async Task UntrustedCertificateIsRefusedByDefault()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls) with { Tls = new SmtpTlsPolicy { Security = SmtpSecurity.StartTls } });

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message()));

        Assert.Equal(SmtpFailureKind.Certificate, failure.Kind);
        Assert.False(failure.IsTransient);
        Assert.Contains(server.Certificate!.Thumbprint, failure.Message);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task WrongPinnedThumbprintIsRefused()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls) with { Tls = new SmtpTlsPolicy { Security = SmtpSecurity.StartTls, CertificateThumbprints = new[] { new string('A', 40) } } });

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message()));

        Assert.Equal(SmtpFailureKind.Certificate, failure.Kind);
        Assert.Contains("not one of the pinned", failure.Message);
    }

    [Fact]
    public async Task SkipCertificateCheckAcceptsAnUntrustedCertificate()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls) with { Tls = new SmtpTlsPolicy { Security = SmtpSecurity.StartTls, SkipCertificateCheck = true } });

        await submitter.SendAsync(Message());

        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task CredentialsAreNeverSentWithoutTls()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Users = Users, AllowUnsecureAuthentication = true });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.Auto, SmtpCredential.FromPassword("alice", Password)));

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message()));

        Assert.Equal(SmtpFailureKind.Security, failure.Kind);
        Assert.Empty(server.AuthenticatedUsers);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task UnencryptedAuthenticationWorksOnlyWhenExplicitlyAllowed()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Users = Users, AllowUnsecureAuthentication = true });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None, SmtpCredential.FromPassword("alice", Password)) with { Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None, AllowUnencryptedAuthentication = true } });

        var result = await submitter.SendAsync(Message());

        Assert.Equal("None", result.TlsProtocol);
        Assert.Equal("alice", (await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].AuthenticatedUser);
    }

    [Fact]
    public async Task StartTlsRequiredFailsWhenTheServerDoesNotOfferIt()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls));

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message()));

        Assert.Equal(SmtpFailureKind.Security, failure.Kind);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task WrongPasswordFailsOnceWithoutRetry()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Users = Users });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls, SmtpCredential.FromPassword("alice", "wrong")));

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message()));

        Assert.Equal(SmtpFailureKind.Authentication, failure.Kind);
        Assert.False(failure.IsTransient);
        Assert.Equal(1, server.SessionCount);
        Assert.DoesNotContain("wrong", failure.Message);
    }

    [Fact]
    public async Task RejectedRecipientIsReportedWhileTheOthersGetTheMessage()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { "gone@contoso.test" } });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));

        var result = await submitter.SendAsync(Message("ops@contoso.test", "gone@contoso.test", "cfo@contoso.test"));

        var rejected = Assert.Single(result.Rejected);
        Assert.Equal("gone@contoso.test", rejected.Address);
        Assert.Equal(550, rejected.StatusCode);
        Assert.Equal(new[] { "ops@contoso.test", "cfo@contoso.test" }, result.Accepted.Select(r => r.Address));
        Assert.All(result.Accepted, r => Assert.Equal(250, r.StatusCode));
        var received = Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal(new[] { "ops@contoso.test", "cfo@contoso.test" }, received.Recipients);
    }

    [Fact]
    public async Task NoAcceptedRecipientIsAPermanentFailureWithEveryAnswer()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { "gone@contoso.test", "left@contoso.test" } });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message("gone@contoso.test", "left@contoso.test")));

        Assert.Equal(SmtpFailureKind.Permanent, failure.Kind);
        Assert.Equal(550, failure.StatusCode);
        Assert.Equal(2, failure.Recipients.Count);

        // The session is still usable for the next message.
        await submitter.SendAsync(Message());
        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal(1, server.SessionCount);
    }

    [Fact]
    public async Task A451IsRetriedOnTheSameConnectionAndDelivered()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { FailDataTimes = 1 });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));

        var result = await submitter.SendAsync(Message());

        Assert.Equal(2, result.Attempts);
        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal(1, server.SessionCount);
    }

    [Fact]
    public async Task Persistent451EndsAsTransientFailureAfterTheRetries()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { FailDataTimes = 10 });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message()));

        Assert.Equal(SmtpFailureKind.Transient, failure.Kind);
        Assert.Equal(451, failure.StatusCode);
        Assert.True(failure.IsTransient);
        Assert.Empty(server.Messages);
    }

    [Theory]
    [InlineData(432, "4.3.2 Concurrent connections limit exceeded", true)]
    [InlineData(451, "4.3.2 System not accepting network messages", true)]
    [InlineData(451, "4.3.0 Temporary failure", false)]
    public async Task AFailureSaysHowOftenAndHowLongItWasTriedAndWhetherItIsThrottling(int code, string text, bool throttling)
    {
        await using var server = await TestSmtpServer.StartAsync(new() { FailDataTimes = 10, FailDataReply = (code, text) });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message()));

        Assert.Equal(SmtpFailureKind.Transient, failure.Kind);
        Assert.Equal(code, failure.StatusCode);
        Assert.Equal(throttling, failure.IsThrottling);
        Assert.Equal(3, failure.Attempts);
        Assert.InRange(failure.Elapsed, TimeSpan.FromMilliseconds(60), TimeSpan.FromSeconds(30)); // waits of 20 + 40 ms at least
    }

    [Fact]
    public async Task ConnectionDroppedMidDataIsReconnectedAndDelivered()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { DropDuringDataTimes = 1 });
        using var submitter = new SmtpSubmitter(new SmtpConnectionOptions { Host = "127.0.0.1", Port = server.Port, Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None }, Retry = FastRetry });

        var result = await submitter.SendAsync(Message());

        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, submitter.ConnectionCount);
        Assert.Equal(2, server.SessionCount);
        Assert.Contains("All systems nominal.", Encoding.UTF8.GetString(Assert.Single(server.Messages).Data));
    }

    [Fact]
    public async Task UnreachableServerIsAConnectionFailureAfterRetries()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var submitter = new SmtpSubmitter(new SmtpConnectionOptions { Host = "127.0.0.1", Port = port, Retry = FastRetry });

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => submitter.SendAsync(Message()));

        Assert.Equal(SmtpFailureKind.Connection, failure.Kind);
        Assert.Equal(0, submitter.ConnectionCount);
    }

    [Fact]
    public async Task ManyMessagesShareOneConnection()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Users = Users });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls, SmtpCredential.FromPassword("alice", Password)));

        for (var i = 0; i < 25; i++)
        {
            await submitter.SendAsync(Message());
        }

        await submitter.DisconnectAsync();
        Assert.Equal(25, (await server.WaitForMessagesAsync(25, TimeSpan.FromSeconds(10))).Count);
        Assert.Equal(1, server.SessionCount);
        Assert.Equal(1, submitter.ConnectionCount);
    }

    [Fact]
    public async Task TranscriptRedactsTheCredentials()
    {
        var transcript = Path.Combine(Path.GetTempPath(), $"smtpops-{Guid.NewGuid():N}.log");
        try
        {
            await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Users = Users });
            using (var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls, SmtpCredential.FromPassword("alice", Password)) with { TranscriptPath = transcript }))
            {
                await submitter.SendAsync(Message());
                await submitter.DisconnectAsync();
            }

            var text = await File.ReadAllTextAsync(transcript);
            Assert.Contains("AUTH", text);
            Assert.Contains("STARTTLS", text);
            Assert.Contains("[message content: ", text);
            Assert.DoesNotContain("All systems nominal.", text);
            Assert.DoesNotContain(Password, text);
            foreach (var encoded in SecretEncodings("alice", Password))
            {
                Assert.DoesNotContain(encoded, text);
            }
        }
        finally
        {
            File.Delete(transcript);
        }
    }

    [Fact]
    public async Task OAuthTokenIsSentWithXOAuth2AndKeptOutOfTheTranscript()
    {
        const string User = "bob@contoso.test";
        const string Token = "token-123";
        var expected = Convert.ToBase64String(Encoding.UTF8.GetBytes($"user={User}\u0001auth=Bearer {Token}\u0001\u0001"));
        var transcript = Path.Combine(Path.GetTempPath(), $"smtpops-{Guid.NewGuid():N}.log");
        try
        {
            using var certificate = TestCertificates.CreateSelfSigned("localhost");
            await using var server = await ScriptedSmtpServer.StartAsync(new()
            {
                StartTlsCertificate = certificate,
                OAuthTokens = new Dictionary<string, string> { [User] = Token },
                RequireAuthentication = true,
            });
            var options = new SmtpConnectionOptions
            {
                Host = "127.0.0.1",
                Port = server.Port,
                Tls = new SmtpTlsPolicy { Security = SmtpSecurity.StartTls, CertificateThumbprints = new[] { certificate.Thumbprint } },
                Credential = SmtpCredential.FromAccessToken(User, Token),
                Retry = FastRetry,
                Timeout = TimeSpan.FromSeconds(10),
                TranscriptPath = transcript,
            };
            using (var submitter = new SmtpSubmitter(options))
            {
                await submitter.SendAsync(Message());
                await submitter.DisconnectAsync();
            }

            var received = Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
            Assert.Equal(User, received.AuthenticatedUser);
            Assert.True(received.Secure);
            Assert.Equal(new[] { User }, server.AuthenticatedUsers);
            Assert.Equal(new[] { expected }, server.AuthenticationResponses);
            Assert.DoesNotContain(server.Commands, command => command.StartsWith("AUTH PLAIN", StringComparison.OrdinalIgnoreCase) || command.StartsWith("AUTH LOGIN", StringComparison.OrdinalIgnoreCase));

            var text = await File.ReadAllTextAsync(transcript);
            Assert.Contains("AUTH XOAUTH2", text);
            Assert.DoesNotContain(Token, text);
            Assert.DoesNotContain(expected, text);
        }
        finally
        {
            File.Delete(transcript);
        }
    }

    private static IEnumerable<string> SecretEncodings(string user, string password)
    {
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(password));
    }
}
