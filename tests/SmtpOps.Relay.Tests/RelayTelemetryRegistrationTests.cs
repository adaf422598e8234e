using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.Processing;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>AddRelayTelemetry as both hosts call it: no exporter setting, no provider; an OTLP endpoint, the relay's spans and metrics reach it.</summary>
public sealed class RelayTelemetryRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IOpenTelemetryBuilder>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddRelayTelemetry(configuration, configure);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    [Fact]
    public void WithoutAnExporterSettingNothingIsRegistered()
    {
        using var services = Build(new());

        Assert.Null(services.GetService<TracerProvider>());
        Assert.Null(services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task AnOtlpEndpointReceivesTheRelaysSpansAndMetrics()
    {
        await using var receiver = new OtlpReceiver();
        using (var services = Build(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }))
        {
            var tracing = services.GetRequiredService<TracerProvider>();
            var meters = services.GetRequiredService<MeterProvider>();
            using (RelayDiagnostics.ActivitySource.StartActivity("send registration-test", ActivityKind.Producer))
            {
            }

            RelayTelemetry.Complete(null, new RelayOutcome { Kind = RelayOutcomeKind.Sent }, "registration-test", new Uri("smtp://127.0.0.1:25"), viaGraph: false);
            Assert.True(tracing.ForceFlush(10_000));
            Assert.True(meters.ForceFlush(10_000));
        }

        Assert.True(receiver.Received("/v1/traces", "send registration-test"), receiver.ToString());
        Assert.True(receiver.Received("/v1/traces", RelayTelemetryServiceCollectionExtensions.DefaultServiceName), receiver.ToString());
        Assert.True(receiver.Received("/v1/metrics", RelayTelemetry.SentName), receiver.ToString());
        Assert.All(receiver.Requests, r => Assert.EndsWith(" application/x-protobuf", r.Request, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheFunctionsWorkerDefaultsJoinTheSameRegistration()
    {
        await using var receiver = new OtlpReceiver();
        var configured = false;
        using (var services = Build(
            new()
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            },
            telemetry =>
            {
                configured = true;
                telemetry.UseFunctionsWorkerDefaults();
            }))
        {
            var tracing = services.GetRequiredService<TracerProvider>();
            using (RelayDiagnostics.ActivitySource.StartActivity("process worker-defaults-test", ActivityKind.Consumer))
            {
            }

            Assert.True(tracing.ForceFlush(10_000));
        }

        Assert.True(configured);
        Assert.True(receiver.Received("/v1/traces", "process worker-defaults-test"), receiver.ToString());

        // The worker's resource detector describes the process (its SDK prefix; the cloud attributes only on Azure).
        Assert.True(receiver.Received("/v1/traces", "dotnetiso:"), receiver.ToString());
    }

    [Fact]
    public void TheConfigureCallbackIsNotCalledWithoutAnExporter()
    {
        var configured = false;
        using var services = Build(new(), _ => configured = true);

        Assert.False(configured);
    }
}
