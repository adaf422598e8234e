using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Relay.Processing;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// The LocalHost process with OTEL_EXPORTER_OTLP_ENDPOINT set, relaying a message enqueued by an application that
/// traces with its own activity (and has no listener on the relay's source): the host's span reaches the OTLP
/// endpoint in the application's trace, and its metrics follow.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class LocalHostTelemetryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly AzuriteFixture azurite;
    private readonly string queueName = $"otelhost{Guid.NewGuid():N}".Substring(0, 20);

    public LocalHostTelemetryTests(AzuriteFixture azurite) => this.azurite = azurite;

    [Fact]
    public async Task TheLocalHostExportsItsSpanInTheEnqueuersTraceAndItsMetricsOverOtlp()
    {
        await using var receiver = new OtlpReceiver();
        await using var smarthost = await TestSmtpServer.StartAsync(new());
        await using var host = LocalHostProcess.Start(new Dictionary<string, string>
        {
            ["RelayStorage"] = azurite.ConnectionString,
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Relay__QueueName"] = queueName,
            ["Relay__Smarthost__Host"] = "127.0.0.1",
            ["Relay__Smarthost__Port"] = $"{smarthost.Port}",
            ["Relay__Smarthost__Security"] = "None",
            ["Relay__Policy__AllowedSenders__0"] = "contoso.test",
            ["Queues__MaxPollingInterval"] = "00:00:01",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "relay-under-test",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });

        // The enqueuing application's own trace, sampled; the envelope carries it.
        using var application = new Activity("enqueuing application").SetIdFormat(ActivityIdFormat.W3C);
        application.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        application.Start();
        var traceId = new byte[16];
        application.TraceId.CopyTo(traceId);
        await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(new MailMessageDefinition
        {
            From = "reports@contoso.test",
            To = new[] { "ops@fabrikam.test" },
            Subject = "Traced",
            TextBody = "One trace from the application to the smarthost.",
        });
        application.Stop();

        Assert.Single(await smarthost.WaitForMessagesAsync(1, Patience));
        Assert.True(
            await receiver.WaitUntilAsync(r => r.Received("/v1/traces", traceId) && r.Received("/v1/metrics", RelayTelemetry.SentName), Patience),
            $"OTLP requests:{Environment.NewLine}{receiver}{Environment.NewLine}LocalHost:{Environment.NewLine}{host.Tail()}");
        Assert.True(receiver.Received("/v1/traces", $"process {queueName}"));
        Assert.True(receiver.Received("/v1/traces", "relay-under-test"));
        Assert.False(host.HasExited);
    }
}
