using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Tests.TestSmtpConnection;

namespace SmtpOps.Tests;

/// <summary>
/// SmtpSubmitter.Send, the blocking form Send-SmtpMail uses on its pipeline thread: the same security
/// rules, retries and reconnects as SendAsync. Each send runs on a thread of its own, as in PowerShell,
/// so that it never blocks a thread-pool thread the in-process servers need.
/// </summary>
public sealed class SmtpSubmitterSynchronousTests
{

    private static ComposedMessage Message(string subject = "Daily report") => MessageComposer.Prepare(new MailMessageDefinition
    {
        From = "Reports <reports@contoso.test>",
        To = new[] { "ops@contoso.test" },
        Subject = subject,
        TextBody = "All systems nominal.",
    });

    private static Task<T> OnOwnThread<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        { IsBackground = true };
        thread.Start();
        return done.Task;
    }

    [Fact]
    public async Task ManyMessagesOverStartTlsShareOneAuthenticatedConnection()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Users = Users });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls, SmtpCredential.FromPassword("alice", Password)));

        var results = await OnOwnThread(() =>
        {
            var sent = new List<SmtpSendResult>();
            for (var i = 0; i < 25; i++)
            {
                using var message = Message($"Report {i}");
                sent.Add(submitter.Send(message));
            }

            submitter.Disconnect();
            return sent;
        });

        var received = await server.WaitForMessagesAsync(25, TimeSpan.FromSeconds(10));
        Assert.Equal(25, received.Count);
        Assert.All(received, r => Assert.True(r.Secure));
        Assert.All(received, r => Assert.Equal("alice", r.AuthenticatedUser));
        Assert.All(results, r => Assert.NotEqual("None", r.TlsProtocol));
        Assert.Equal("ops@contoso.test", Assert.Single(results[0].Accepted).Address);
        Assert.Equal(1, server.SessionCount);
        Assert.Equal(1, submitter.ConnectionCount);
        Assert.False(submitter.IsConnected);
    }

    [Fact]
    public async Task CredentialsAreNeverSentWithoutTls()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Users = Users, AllowUnsecureAuthentication = true });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.Auto, SmtpCredential.FromPassword("alice", Password)));
        using var message = Message();

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => OnOwnThread(() => submitter.Send(message)));

        Assert.Equal(SmtpFailureKind.Security, failure.Kind);
        Assert.Empty(server.AuthenticatedUsers);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task UntrustedCertificateIsRefused()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.StartTls) with { Tls = new SmtpTlsPolicy { Security = SmtpSecurity.StartTls } });
        using var message = Message();

        var failure = await Assert.ThrowsAsync<SmtpSubmissionException>(() => OnOwnThread(() => submitter.Send(message)));

        Assert.Equal(SmtpFailureKind.Certificate, failure.Kind);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task A451IsRetriedOnTheSameConnectionAndDelivered()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { FailDataTimes = 1 });
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));
        using var message = Message();

        var result = await OnOwnThread(() => submitter.Send(message));

        Assert.Equal(2, result.Attempts);
        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal(1, server.SessionCount);
    }

    [Fact]
    public async Task ConnectionDroppedMidDataIsReconnectedAndDelivered()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { DropDuringDataTimes = 1 });
        using var submitter = new SmtpSubmitter(new SmtpConnectionOptions { Host = "127.0.0.1", Port = server.Port, Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None }, Retry = FastRetry });
        using var message = Message();

        var result = await OnOwnThread(() => submitter.Send(message));

        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, submitter.ConnectionCount);
        Assert.Contains("All systems nominal.", Encoding.UTF8.GetString(Assert.Single(server.Messages).Data));
    }
}
