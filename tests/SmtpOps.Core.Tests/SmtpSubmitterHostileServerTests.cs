using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.Tests.Graph;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// Servers that attack the client (endless lines, a huge EHLO reply, a dripped greeting): every conversation ends in a
/// submission failure within about the timeout, and this process's memory stays flat. These measure time and memory, so
/// they run alone (the memory collection), and the bound on time is the one a user is promised: -Timeout plus 2 s.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class SmtpSubmitterHostileServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(2);
    private const long MaxGrowth = 100L * 1024 * 1024;

    private static MailMessageDefinition Message => new() { From = "a@contoso.test", To = new[] { "b@contoso.test" }, Subject = "hostile", TextBody = "x" };

    [Theory]
    [InlineData(HostileSmtpBehaviour.EndlessGreetingLine, false, SmtpFailureKind.Protocol)]
    [InlineData(HostileSmtpBehaviour.EndlessGreetingLine, true, SmtpFailureKind.Protocol)]
    [InlineData(HostileSmtpBehaviour.EndlessLineAfterEhlo, false, SmtpFailureKind.Protocol)]
    [InlineData(HostileSmtpBehaviour.EndlessLineAfterEhlo, true, SmtpFailureKind.Protocol)]
    [InlineData(HostileSmtpBehaviour.HugeEhloReply, false, SmtpFailureKind.Protocol)]
    [InlineData(HostileSmtpBehaviour.HugeEhloReply, true, SmtpFailureKind.Protocol)]
    [InlineData(HostileSmtpBehaviour.DrippedGreeting, false, SmtpFailureKind.Timeout)]
    [InlineData(HostileSmtpBehaviour.DrippedGreeting, true, SmtpFailureKind.Timeout)]
    public async Task AHostileServerEndsTheSubmissionWithinTheTimeoutAndMemoryStaysFlat(HostileSmtpBehaviour behaviour, bool synchronous, SmtpFailureKind expected)
    {
        await using var server = HostileSmtpServer.Start(behaviour, maxBytes: 400L * 1024 * 1024);
        using var submitter = new SmtpSubmitter(Options(server));
        using var composed = MessageComposer.Prepare(Message);

        var (failure, elapsed, growth) = await MeasureAsync(() => synchronous
            ? Task.Run(() => submitter.Send(composed))
            : submitter.SendAsync(composed));

        Assert.True(elapsed < Timeout + Slack, $"the failure came after {elapsed.TotalSeconds:0.0} s (timeout {Timeout.TotalSeconds} s): {failure}");
        Assert.True(growth < MaxGrowth, $"peak resident set grew by {growth / (1024.0 * 1024):0.0} MB: {failure}");
        var submission = Assert.IsType<SmtpSubmissionException>(failure);
        Assert.True(expected == submission.Kind, $"{submission.Kind}: {submission.Message}");
        Assert.Contains($"127.0.0.1:{server.Port}", submission.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HostileSmtpBehaviour.EndlessGreetingLine)]
    [InlineData(HostileSmtpBehaviour.EndlessLineAfterEhlo)]
    [InlineData(HostileSmtpBehaviour.HugeEhloReply)]
    public async Task InsideTlsTheByteCapEndsTheFloodWithinTheTimeoutAndMemoryStaysFlat(HostileSmtpBehaviour behaviour)
    {
        // Below TLS the lines are ciphertext: what holds there is the cap on the bytes read for one command.
        using var certificate = TestCertificates.CreateSelfSigned();
        await using var server = HostileSmtpServer.Start(behaviour, maxBytes: 400L * 1024 * 1024, implicitTlsCertificate: certificate);
        using var submitter = new SmtpSubmitter(Options(server) with
        {
            Tls = new SmtpTlsPolicy { Security = SmtpSecurity.SslOnConnect, CertificateThumbprints = new[] { certificate.Thumbprint } },
        });
        using var composed = MessageComposer.Prepare(Message);

        var (failure, elapsed, growth) = await MeasureAsync(() => Task.Run(() => submitter.Send(composed)));

        Assert.True(elapsed < Timeout + Slack, $"the failure came after {elapsed.TotalSeconds:0.0} s (timeout {Timeout.TotalSeconds} s): {failure}");
        Assert.True(growth < MaxGrowth, $"peak resident set grew by {growth / (1024.0 * 1024):0.0} MB: {failure}");
        var submission = Assert.IsType<SmtpSubmissionException>(failure);
        Assert.True(submission.Kind == SmtpFailureKind.Protocol, $"{submission.Kind}: {submission.Message}");
        Assert.Contains("More than 1024 KiB", submission.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConnectionPoolGivesTheHostileServersFailureBackWithTheMessage()
    {
        await using var server = HostileSmtpServer.Start(HostileSmtpBehaviour.HugeEhloReply, maxBytes: 400L * 1024 * 1024);
        using var pool = new ParallelSmtpSubmitter(Options(server), 2);

        var (failure, elapsed, growth) = await MeasureAsync(() => Task.Run(() =>
        {
            pool.Post(MessageComposer.Prepare(Message));
            pool.Post(MessageComposer.Prepare(Message));
            pool.CompleteAdding();
            var outcomes = new[] { pool.TakeNext()!, pool.TakeNext()! };
            throw outcomes.Select(o => o.Error).OfType<Exception>().First();
        }));

        Assert.True(elapsed < Timeout + Slack, $"the failures came after {elapsed.TotalSeconds:0.0} s: {failure}");
        Assert.True(growth < MaxGrowth, $"peak resident set grew by {growth / (1024.0 * 1024):0.0} MB: {failure}");
        var submission = Assert.IsType<SmtpSubmissionException>(failure);
        Assert.True(submission.Kind == SmtpFailureKind.Protocol, $"{submission.Kind}: {submission.Message}");
    }

    private static SmtpConnectionOptions Options(HostileSmtpServer server) => new()
    {
        Host = "127.0.0.1",
        Port = server.Port,
        Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None },
        Timeout = Timeout,
        Retry = RetryPolicy.None,
    };

    // Runs the send, which must fail, and measures how long it took and how far this process's peak resident set rose.
    // An unbounded client would run on (for minutes, into gigabytes): the wait ends at twice the allowed time.
    private static async Task<(Exception? Failure, TimeSpan Elapsed, long Growth)> MeasureAsync(Func<Task> send)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = PeakResidentSet.Reset();
        var clock = Stopwatch.StartNew();
        Exception? failure = null;
        try
        {
            await send().WaitAsync(2 * (Timeout + Slack));
        }
        catch (TimeoutException) when (clock.Elapsed >= 2 * (Timeout + Slack))
        {
            Assert.Fail($"no failure after {clock.Elapsed.TotalSeconds:0.0} s; peak resident set grew by {(PeakResidentSet.GrowthSince(baseline)) / (1024.0 * 1024):0.0} MB");
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        return (failure, clock.Elapsed, PeakResidentSet.GrowthSince(baseline));
    }
}
