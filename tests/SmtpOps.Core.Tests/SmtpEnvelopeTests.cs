using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MimeKit;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Tests.TestSmtpConnection;

namespace SmtpOps.Tests;

/// <summary>
/// The SMTP envelope (MAIL FROM, RCPT TO) comes from the message's From, To, Cc and Bcc only, never from
/// Resent-* or Sender header fields (MailKit's SendAsync(MimeMessage) takes them from those when present):
/// checked on the wire, at the test server's MAIL FROM and RCPT TO.
/// </summary>
public sealed class SmtpEnvelopeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    // What a queue writer could hand the relay, or a loaded .eml: the header fields MailKit's default
    // envelope would follow instead of From/To/Cc/Bcc.
    private static MimeMessage WithResentHeaders()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Reports", "reports@contoso.test"));
        message.To.Add(MailboxAddress.Parse("ops@contoso.test"));
        message.Cc.Add(MailboxAddress.Parse("audit@contoso.test"));
        message.Bcc.Add(MailboxAddress.Parse("archive@contoso.test"));
        message.Subject = "Daily report";
        message.Sender = MailboxAddress.Parse("sender-header@evil.test");
        message.ResentSender = MailboxAddress.Parse("resent-sender@evil.test");
        message.ResentFrom.Add(MailboxAddress.Parse("resent-from@evil.test"));
        message.ResentTo.Add(MailboxAddress.Parse("resent-to@evil.test"));
        message.ResentCc.Add(MailboxAddress.Parse("resent-cc@evil.test"));
        message.ResentBcc.Add(MailboxAddress.Parse("hidden@evil.test"));
        message.Body = new TextPart("plain") { Text = "All systems nominal." };
        return message;
    }

    private static Task<T> OnOwnThread<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
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
        { IsBackground = true }.Start();
        return done.Task;
    }

    private static void AssertEnvelopeIsFromToCcBcc(ReceivedMessage received, SmtpSendResult result)
    {
        Assert.Equal("reports@contoso.test", received.From);
        Assert.Equal(new[] { "ops@contoso.test", "audit@contoso.test", "archive@contoso.test" }, received.Recipients);
        Assert.Equal(received.Recipients, result.Accepted.Select(r => r.Address));
        var data = Encoding.UTF8.GetString(received.Data);
        Assert.DoesNotContain("archive@contoso.test", data, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hidden@evil.test", data, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("(?im)^Bcc:", data);
    }

    [Fact]
    public async Task ResentAndSenderHeadersDoNotRedirectTheEnvelope()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));
        using var message = WithResentHeaders();

        var result = await submitter.SendAsync(message, DeliveryNotification.None);

        AssertEnvelopeIsFromToCcBcc(Assert.Single(await server.WaitForMessagesAsync(1, Wait)), result);
    }

    [Fact]
    public async Task ResentHeadersDoNotRedirectTheEnvelopeOfTheBlockingSend()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));
        using var message = new ComposedMessage(WithResentHeaders(), DeliveryNotification.None, "reports@contoso.test");

        var result = await OnOwnThread(() => submitter.Send(message));

        AssertEnvelopeIsFromToCcBcc(Assert.Single(await server.WaitForMessagesAsync(1, Wait)), result);
    }

    [Fact]
    public async Task ResentHeadersDoNotRedirectTheEnvelopeOfTheConnectionPool()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var pool = new ParallelSmtpSubmitter(Options(server, SmtpSecurity.None), 2);

        pool.Post(new ComposedMessage(WithResentHeaders(), DeliveryNotification.None, "reports@contoso.test"));
        pool.CompleteAdding();
        var outcome = await OnOwnThread(() => pool.TakeNext());

        Assert.Null(outcome!.Error);
        AssertEnvelopeIsFromToCcBcc(Assert.Single(await server.WaitForMessagesAsync(1, Wait)), outcome.Result!);
    }

    [Theory]
    [InlineData("none", MessageValidationError.MissingSender)]
    [InlineData("sender-only", MessageValidationError.MissingSender)]
    [InlineData("two", MessageValidationError.InvalidAddress)]
    [InlineData("resent-only", MessageValidationError.MissingRecipient)]
    public async Task AMessageWithoutOneFromOrAnyRecipientIsRefusedBeforeConnecting(string shape, MessageValidationError expected)
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));
        using var message = new MimeMessage { Subject = shape, Body = new TextPart("plain") { Text = "x" } };
        switch (shape)
        {
            case "sender-only":
                message.Sender = MailboxAddress.Parse("reports@contoso.test");
                message.To.Add(MailboxAddress.Parse("ops@contoso.test"));
                break;
            case "two":
                message.From.Add(MailboxAddress.Parse("reports@contoso.test"));
                message.From.Add(MailboxAddress.Parse("other@contoso.test"));
                message.To.Add(MailboxAddress.Parse("ops@contoso.test"));
                break;
            case "resent-only":
                message.From.Add(MailboxAddress.Parse("reports@contoso.test"));
                message.ResentFrom.Add(MailboxAddress.Parse("reports@contoso.test"));
                message.ResentTo.Add(MailboxAddress.Parse("resent-to@evil.test"));
                break;
            default:
                message.To.Add(MailboxAddress.Parse("ops@contoso.test"));
                break;
        }

        var refused = await Assert.ThrowsAsync<MessageValidationException>(() => submitter.SendAsync(message, DeliveryNotification.None));

        Assert.Equal(expected, refused.Error);
        Assert.Equal(0, server.SessionCount);
        Assert.Equal(0, submitter.ConnectionCount);
    }

    [Fact]
    public async Task EveryRecipientGetsItsNotifyParameterAndItsOwnAnswer()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new()
        {
            Extensions = ScriptedSmtpServerOptions.DefaultExtensions.Append("DSN").ToArray(),
            RejectRecipients = new[] { "gone@contoso.test" },
        });
        var transcript = new ConcurrentQueue<string>();
        using var submitter = new SmtpSubmitter(new SmtpConnectionOptions
        {
            Host = "127.0.0.1",
            Port = server.Port,
            Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None },
            Retry = FastRetry,
            Timeout = Wait,
            TranscriptSink = transcript.Enqueue,
        });

        var result = await submitter.SendAsync(new MailMessageDefinition
        {
            From = "reports@contoso.test",
            To = new[] { "ops@contoso.test", "gone@contoso.test" },
            Bcc = new[] { "archive@contoso.test" },
            TextBody = "x",
            DeliveryNotification = DeliveryNotification.OnFailure | DeliveryNotification.Delay,
        });

        var rcpts = transcript.Where(line => line.Contains("RCPT TO:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, rcpts.Length);
        Assert.All(rcpts, line => Assert.Contains("NOTIFY=FAILURE,DELAY", line, StringComparison.Ordinal));
        Assert.Equal(new[] { "ops@contoso.test", "archive@contoso.test" }, result.Accepted.Select(r => r.Address));
        var rejected = Assert.Single(result.Rejected);
        Assert.Equal(("gone@contoso.test", 550), (rejected.Address, rejected.StatusCode));
        Assert.Equal(new[] { "ops@contoso.test", "archive@contoso.test" }, Assert.Single(await server.WaitForMessagesAsync(1, Wait)).Recipients);
    }
}
