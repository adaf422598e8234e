using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>AddRelayTelemetry as both hosts call it: no exporter setting, no provider; an OTLP endpoint, the relay's spans and metrics reach it.</summary>
public sealed class RelayTelemetryRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddRelayTelemetry(configuration);
        return services.BuildServiceProvider();
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
        var port = LoopbackPort.Free();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var received = new ConcurrentQueue<string>();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                received.Enqueue($"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath} {context.Request.ContentType}");
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        using (var services = Build(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }))
        {
            var tracing = services.GetRequiredService<TracerProvider>();
            var meters = services.GetRequiredService<MeterProvider>();
            using (RelayDiagnostics.ActivitySource.StartActivity("send registration-test", ActivityKind.Producer))
            {
            }

            RelayTelemetry.Complete(null, new RelayOutcome { Kind = RelayOutcomeKind.Sent }, "registration-test", new SmtpConnectionOptions { Host = "127.0.0.1" });
            Assert.True(tracing.ForceFlush(10_000));
            Assert.True(meters.ForceFlush(10_000));
        }

        listener.Stop();
        await serving;
        Assert.Contains("POST /v1/traces application/x-protobuf", received);
        Assert.Contains("POST /v1/metrics application/x-protobuf", received);
    }
}
