using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SmtpOps.Messages;
using SmtpOps.Relay.Processing;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Relay.Tests.Processing.RelayTestQueue;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// The relay's spans and metrics through OpenTelemetry's SDK and in-memory exporter, for real deliveries: enqueued by
/// SmtpRelayClient on Azurite, relayed by RelayProcessor to an SMTP server on 127.0.0.1. The activity source and
/// meter are process-wide, so every look filters by this test's own queue.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelayTelemetryTests : IDisposable
{
    private const string Recipient = "customer@fabrikam.test";
    private const string Sender = "billing@contoso.test";
    private const string Subject = "Quarterly statement 7731";
    private const string Body = "Your balance is 1,234.56.";

    private readonly RelayTestQueue relay;
    private readonly List<Activity> spans = new();
    private readonly List<MetricSnapshot> metrics = new();
    private readonly TracerProvider tracing;
    private readonly MeterProvider meters;

    public RelayTelemetryTests(AzuriteFixture azurite)
    {
        relay = new RelayTestQueue(azurite, "otel");
        tracing = Sdk.CreateTracerProviderBuilder().AddSource(RelayDiagnostics.SourceName).AddInMemoryExporter(spans).Build()!;
        meters = Sdk.CreateMeterProviderBuilder().AddMeter(RelayTelemetry.MeterName).AddInMemoryExporter(metrics).Build()!;
    }

    public void Dispose()
    {
        tracing.Dispose();
        meters.Dispose();
    }

    private static MailMessageDefinition Mail => new()
    {
        From = $"Billing <{Sender}>",
        To = new[] { Recipient },
        Subject = Subject,
        TextBody = Body,
    };

    private RelayProcessor Processor(TestSmtpServer server) => relay.Processor(relay.Options(Smarthost(server.Port)));

    private static RelayDelivery Again(RelayDelivery delivery, long dequeueCount) => new() { QueueMessageId = delivery.QueueMessageId, Text = delivery.Text, DequeueCount = dequeueCount };

    private List<Activity> Spans(ActivityKind kind) => spans
        .Where(s => s.Kind == kind && Equals(s.GetTagItem(RelayDiagnostics.DestinationNameAttribute), relay.Name))
        .ToList();

    private List<MetricPoint> Points(string instrument)
    {
        metrics.Clear();
        meters.ForceFlush();
        return metrics
            .Where(m => m.Name == instrument)
            .SelectMany(m => m.MetricPoints)
            .Where(p => Tag(p, RelayDiagnostics.DestinationNameAttribute) == relay.Name)
            .ToList();
    }

    private long Count(string counter, string? reason = null) => Points(counter)
        .Where(p => reason is null || Tag(p, RelayDiagnostics.ReasonAttribute) == reason)
        .Sum(p => p.GetSumLong());

    private static string? Tag(MetricPoint point, string name)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == name)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }

    [Fact]
    public async Task ASentMessageIsOneTraceFromTheEnqueueToTheSmarthostsReplyAndIsCounted()
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var processor = Processor(server);
        var queued = await relay.Client.EnqueueAsync(Mail);
        var delivery = await relay.ReceiveAsync();

        var outcome = await processor.ProcessAsync(delivery);
        var duplicate = await processor.ProcessAsync(Again(delivery, 2));

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        Assert.Equal(RelayOutcomeKind.Duplicate, duplicate.Kind);
        var send = Assert.Single(Spans(ActivityKind.Producer));
        Assert.Equal($"send {relay.Name}", send.DisplayName);
        Assert.Equal(queued.QueueMessageId, send.GetTagItem(RelayDiagnostics.MessageIdAttribute));
        Assert.Equal(queued.MessageId, send.GetTagItem(RelayDiagnostics.MailMessageIdAttribute));
        Assert.Equal("azure_queue_storage", send.GetTagItem(RelayDiagnostics.MessagingSystemAttribute));

        var processed = Spans(ActivityKind.Consumer);
        Assert.Equal(2, processed.Count);
        var sent = processed[0];
        Assert.Equal($"process {relay.Name}", sent.DisplayName);
        Assert.Equal(send.TraceId, sent.TraceId);
        Assert.Equal(send.SpanId, sent.ParentSpanId);
        Assert.Equal(send.SpanId, Assert.Single(sent.Links).Context.SpanId);
        Assert.Equal("process", sent.GetTagItem(RelayDiagnostics.OperationTypeAttribute));
        Assert.Equal(delivery.QueueMessageId, sent.GetTagItem(RelayDiagnostics.MessageIdAttribute));
        Assert.Equal(queued.MessageId, sent.GetTagItem(RelayDiagnostics.MailMessageIdAttribute));
        Assert.Equal(1L, sent.GetTagItem(RelayDiagnostics.DequeueCountAttribute));
        Assert.Equal("Sent", sent.GetTagItem(RelayDiagnostics.OutcomeAttribute));
        Assert.Equal(250, sent.GetTagItem(RelayDiagnostics.SmtpStatusCodeAttribute));
        Assert.Equal("127.0.0.1", sent.GetTagItem(RelayDiagnostics.SmarthostAddressAttribute));
        Assert.Equal(server.Port, sent.GetTagItem(RelayDiagnostics.SmarthostPortAttribute));
        Assert.Equal(ActivityStatusCode.Unset, sent.Status);
        Assert.Equal(send.TraceId, processed[1].TraceId);
        Assert.Equal("Duplicate", processed[1].GetTagItem(RelayDiagnostics.OutcomeAttribute));
        Assert.Equal(2L, processed[1].GetTagItem(RelayDiagnostics.DequeueCountAttribute));

        Assert.Equal(1, Count(RelayTelemetry.SentName));
        Assert.Equal(1, Count(RelayTelemetry.DuplicatesName, RelayTelemetry.AlreadySentReason));
        Assert.Equal(0, Count(RelayTelemetry.RetriedName));
        Assert.Equal(0, Count(RelayTelemetry.DeadLetteredName));
        var duration = Assert.Single(Points(RelayTelemetry.SendDurationName));
        Assert.Equal("Sent", Tag(duration, RelayDiagnostics.OutcomeAttribute));
        Assert.Equal(1, duration.GetHistogramCount());
        Assert.True(duration.GetHistogramSum() > 0);
        var inQueue = Assert.Single(Points(RelayTelemetry.TimeInQueueName));
        Assert.Equal(1, inQueue.GetHistogramCount());
        Assert.True(inQueue.GetHistogramSum() > 0);
    }

    [Fact]
    public async Task A451IsARetrySpanAndCountedByItsReasonThenTheNextDeliverySendsInTheSameTrace()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { FailDataTimes = 1 });
        using var processor = Processor(server);
        await relay.Client.EnqueueAsync(Mail);
        var delivery = await relay.ReceiveAsync();

        var first = await processor.ProcessAsync(delivery);
        var second = await processor.ProcessAsync(Again(delivery, 2));

        Assert.Equal(RelayOutcomeKind.Retry, first.Kind);
        Assert.Equal(RelayOutcomeKind.Sent, second.Kind);
        var send = Assert.Single(Spans(ActivityKind.Producer));
        var processed = Spans(ActivityKind.Consumer);
        Assert.Equal(2, processed.Count);
        Assert.All(processed, span => Assert.Equal(send.TraceId, span.TraceId));
        var retry = processed[0];
        Assert.Equal("Retry", retry.GetTagItem(RelayDiagnostics.OutcomeAttribute));
        Assert.Equal("Transient", retry.GetTagItem(RelayDiagnostics.ReasonAttribute));
        Assert.Equal("Transient", retry.GetTagItem(RelayDiagnostics.ErrorTypeAttribute));
        Assert.Equal(451, retry.GetTagItem(RelayDiagnostics.SmtpStatusCodeAttribute));
        Assert.Equal(1L, retry.GetTagItem(RelayDiagnostics.DequeueCountAttribute));
        Assert.Equal(ActivityStatusCode.Error, retry.Status);
        Assert.Equal("Sent", processed[1].GetTagItem(RelayDiagnostics.OutcomeAttribute));
        Assert.Equal(2L, processed[1].GetTagItem(RelayDiagnostics.DequeueCountAttribute));

        Assert.Equal(1, Count(RelayTelemetry.RetriedName, "Transient"));
        Assert.Equal(1, Count(RelayTelemetry.SentName));
        Assert.Equal(0, Count(RelayTelemetry.DeadLetteredName));
        var durations = Points(RelayTelemetry.SendDurationName);
        Assert.Equal(1, durations.Single(p => Tag(p, RelayDiagnostics.OutcomeAttribute) == "Retry").GetHistogramCount());
        Assert.Equal(1, durations.Single(p => Tag(p, RelayDiagnostics.OutcomeAttribute) == "Sent").GetHistogramCount());
        Assert.Equal(1, Assert.Single(Points(RelayTelemetry.TimeInQueueName)).GetHistogramCount());
    }

    [Fact]
    public async Task A550IsADeadLetterSpanWithTheKindAndCountedByIt()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { Recipient } });
        using var processor = Processor(server);
        await relay.Client.EnqueueAsync(Mail);

        var outcome = await processor.ProcessAsync(await relay.ReceiveAsync());

        Assert.Equal(RelayOutcomeKind.DeadLettered, outcome.Kind);
        var send = Assert.Single(Spans(ActivityKind.Producer));
        var failed = Assert.Single(Spans(ActivityKind.Consumer));
        Assert.Equal(send.TraceId, failed.TraceId);
        Assert.Equal("DeadLettered", failed.GetTagItem(RelayDiagnostics.OutcomeAttribute));
        Assert.Equal(RelayFailureKind.Smtp, failed.GetTagItem(RelayDiagnostics.ReasonAttribute));
        Assert.Equal(550, failed.GetTagItem(RelayDiagnostics.SmtpStatusCodeAttribute));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal("DeadLettered: Smtp", failed.StatusDescription);

        Assert.Equal(1, Count(RelayTelemetry.DeadLetteredName, RelayFailureKind.Smtp));
        Assert.Equal(0, Count(RelayTelemetry.SentName));
        Assert.Equal("DeadLettered", Tag(Assert.Single(Points(RelayTelemetry.SendDurationName)), RelayDiagnostics.OutcomeAttribute));
        Assert.Empty(Points(RelayTelemetry.TimeInQueueName));
    }

    [Fact]
    public async Task AnEnvelopeWrittenBeforeTraceContextIsRelayedUnderANewRootSpan()
    {
        Activity.Current = null;
        await using var server = await TestSmtpServer.StartAsync(new());
        using var processor = Processor(server);
        await relay.Queue.CreateIfNotExistsAsync();
        var old = $"{{\"schemaVersion\":1,\"id\":\"{Guid.NewGuid():N}\",\"idempotencyKey\":\"old-{relay.Name}\",\"createdAt\":\"{DateTimeOffset.UtcNow.AddMinutes(-1):O}\",\"from\":\"{Sender}\",\"to\":[\"{Recipient}\"],\"subject\":\"{Subject}\",\"textBody\":\"{Body}\"}}";
        await relay.Queue.SendMessageAsync(old);

        var outcome = await processor.ProcessAsync(await relay.ReceiveAsync());

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        var span = Assert.Single(Spans(ActivityKind.Consumer));
        Assert.Null(span.ParentId);
        Assert.Equal(default, span.ParentSpanId);
        Assert.Empty(span.Links);
        Assert.Equal("Sent", span.GetTagItem(RelayDiagnostics.OutcomeAttribute));
        Assert.Equal(1, Count(RelayTelemetry.SentName));
        Assert.True(Assert.Single(Points(RelayTelemetry.TimeInQueueName)).GetHistogramSum() >= 60);
    }

    [Fact]
    public async Task NoAddressSubjectOrBodyReachesASpanOrAMetric()
    {
        await using (var refusing = await TestSmtpServer.StartAsync(new() { RejectRecipients = new[] { Recipient } }))
        {
            using var processor = Processor(refusing);
            await relay.Client.EnqueueAsync(Mail);
            var outcome = await processor.ProcessAsync(await relay.ReceiveAsync());
            Assert.Equal(RelayOutcomeKind.DeadLettered, outcome.Kind);

            // The reply names the recipient: what a span must not repeat.
            Assert.Contains(Recipient, outcome.Detail, StringComparison.Ordinal);
        }

        await using (var accepting = await TestSmtpServer.StartAsync(new()))
        {
            using var processor = Processor(accepting);
            await relay.Client.EnqueueAsync(Mail);
            Assert.Equal(RelayOutcomeKind.Sent, (await processor.ProcessAsync(await relay.ReceiveAsync())).Kind);
        }

        var ours = Spans(ActivityKind.Producer).Concat(Spans(ActivityKind.Consumer)).ToList();
        Assert.Equal(4, ours.Count);
        var texts = ours
            .SelectMany(s => s.TagObjects.Select(t => $"{t.Key}={t.Value}").Append(s.DisplayName).Append(s.StatusDescription ?? string.Empty))
            .ToList();
        metrics.Clear();
        meters.ForceFlush();
        foreach (var metric in metrics)
        {
            foreach (var point in metric.MetricPoints)
            {
                foreach (var tag in point.Tags)
                {
                    texts.Add($"{tag.Key}={tag.Value}");
                }
            }
        }

        Assert.Contains(texts, t => t.Contains(relay.Name, StringComparison.Ordinal));
        foreach (var secret in new[] { Recipient, Sender, "fabrikam", Subject, Body })
        {
            Assert.DoesNotContain(texts, t => t.Contains(secret, StringComparison.OrdinalIgnoreCase));
        }
    }
}
