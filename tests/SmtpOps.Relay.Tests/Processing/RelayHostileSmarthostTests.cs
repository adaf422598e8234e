using System;
using System.Diagnostics;
using System.Threading.Tasks;
using SmtpOps.Relay.Processing;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Relay.Tests.Processing.RelayTestQueue;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// The relay's smarthost connection is the bounded one Send-SmtpMail has: a smarthost that floods or drips fails the
/// attempt within the smarthost timeout and the message is retried, then dead-lettered, as for any failure short of a
/// 5xx; a body with a bare CR reaches the smarthost with CRLF line ends only.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelayHostileSmarthostTests
{
    private static readonly TimeSpan SmarthostTimeout = TimeSpan.FromSeconds(3);
    private readonly RelayTestQueue relay;

    public RelayHostileSmarthostTests(AzuriteFixture azurite) => relay = new RelayTestQueue(azurite, "relay");

    private RelayProcessor Processor(int port) => relay.Processor(relay.Options(Smarthost(port) with { Timeout = SmarthostTimeout }, maxAttempts: 3));

    [Theory]
    [InlineData(HostileSmtpBehaviour.HugeEhloReply, "Protocol")]
    [InlineData(HostileSmtpBehaviour.EndlessLineAfterEhlo, "Protocol")]
    [InlineData(HostileSmtpBehaviour.DrippedGreeting, "Timeout")]
    public async Task AHostileSmarthostFailsTheAttemptWithinTheTimeoutAndTheMessageIsRetriedThenDeadLettered(HostileSmtpBehaviour behaviour, string reason)
    {
        await using var smarthost = HostileSmtpServer.Start(behaviour);
        using var processor = Processor(smarthost.Port);
        await relay.Client.EnqueueAsync(Mail());
        var queued = (await relay.Queue.ReceiveMessageAsync()).Value;
        var clock = Stopwatch.StartNew();

        var first = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = queued.MessageId, Text = queued.Body.ToString(), DequeueCount = 1 });
        var firstTook = clock.Elapsed;
        var last = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = queued.MessageId, Text = queued.Body.ToString(), DequeueCount = 3 });

        Assert.Equal(RelayOutcomeKind.Retry, first.Kind);
        Assert.Equal(reason, first.RetryReason);
        Assert.True(firstTook < SmarthostTimeout + TimeSpan.FromSeconds(2), $"the attempt took {firstTook.TotalSeconds:0.0} s: {first}");
        Assert.Equal(RelayOutcomeKind.DeadLettered, last.Kind);
        Assert.Equal("GaveUp", last.DeadLetterKind);
        Assert.Contains($"127.0.0.1:{smarthost.Port}", last.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABodyWithABareCarriageReturnReachesTheSmarthostWithCrLfLineEndsOnly()
    {
        await using var smarthost = await TestSmtpServer.StartAsync(new());
        using var processor = Processor(smarthost.Port);
        await relay.Client.EnqueueAsync(Mail() with { TextBody = "first line\r.\r\nMAIL FROM:<s@evil.test>\rlast\r" });
        var queued = (await relay.Queue.ReceiveMessageAsync()).Value;

        var outcome = await processor.ProcessAsync(new RelayDelivery { QueueMessageId = queued.MessageId, Text = queued.Body.ToString(), DequeueCount = 1 });

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        var data = Assert.Single(await smarthost.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Data;
        for (var i = 0; i < data.Length; i++)
        {
            Assert.False(data[i] == (byte)'\r' && (i + 1 == data.Length || data[i + 1] != (byte)'\n'), $"a bare CR at byte {i} of {data.Length}");
        }
    }
}
