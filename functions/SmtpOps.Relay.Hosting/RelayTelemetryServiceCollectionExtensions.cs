using System;
using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SmtpOps.Relay.Processing;

namespace SmtpOps.Relay.Hosting;

/// <summary>
/// OpenTelemetry for the relay hosts, the same in the Function and the local WebJobs host: traces of the
/// <see cref="RelayDiagnostics.SourceName"/> activity source and metrics of the <see cref="RelayTelemetry.MeterName"/>
/// meter, exported to Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (both when both are), and nowhere otherwise: then no provider is
/// registered at all and the relay's source and meter have no listener.
/// </summary>
public static class RelayTelemetryServiceCollectionExtensions
{
    /// <summary>The Application Insights connection string setting (Azure Monitor exporter).</summary>
    public const string ApplicationInsightsConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>The Functions setting for Application Insights with Microsoft Entra authentication: <c>Authorization=AAD</c>, with <c>;ClientId=...</c> for a user-assigned identity.</summary>
    public const string ApplicationInsightsAuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>The OTLP endpoint setting (the OTLP exporter also reads the other <c>OTEL_EXPORTER_OTLP_*</c> settings).</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The service name reported when <c>OTEL_SERVICE_NAME</c> is not set.</summary>
    public const string DefaultServiceName = "smtpops-relay";

    /// <summary>Adds the relay's traces and metrics with the exporters the configuration asks for, or nothing when it asks for none.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The host's configuration (app settings and environment variables).</param>
    /// <param name="configure">What the host adds to the same OpenTelemetry registration (the Function: the worker's defaults); called only when an exporter is on.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddRelayTelemetry(this IServiceCollection services, IConfiguration configuration, Action<IOpenTelemetryBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var applicationInsights = configuration[ApplicationInsightsConnectionStringSetting];
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]);
        var azureMonitor = !string.IsNullOrWhiteSpace(applicationInsights);
        if (!azureMonitor && !otlp)
        {
            return services;
        }

        var credential = azureMonitor ? EntraCredential(configuration[ApplicationInsightsAuthenticationSetting]) : null;
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : DefaultServiceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(RelayDiagnostics.SourceName);
                if (azureMonitor)
                {
                    tracing.AddAzureMonitorTraceExporter(options => options.ConnectionString = applicationInsights, credential);
                }

                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(RelayTelemetry.MeterName);
                if (azureMonitor)
                {
                    metrics.AddAzureMonitorMetricExporter(options => options.ConnectionString = applicationInsights, credential);
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        configure?.Invoke(builder);
        return services;
    }

    // Application Insights with local authentication disabled takes Entra tokens: the Functions form of the setting
    // is "Authorization=AAD" (system-assigned identity) or "Authorization=AAD;ClientId=<id>" (user-assigned).
    private static TokenCredential? EntraCredential(string? authentication)
    {
        if (string.IsNullOrWhiteSpace(authentication))
        {
            return null;
        }

        string? authorization = null;
        string? clientId = null;
        foreach (var part in authentication.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim();
            if (key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                authorization = value;
            }
            else if (key.Equals("ClientId", StringComparison.OrdinalIgnoreCase))
            {
                clientId = value;
            }
        }

        if (!string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{ApplicationInsightsAuthenticationSetting} must be 'Authorization=AAD' or 'Authorization=AAD;ClientId=<client id of a user-assigned identity>'.");
        }

        return string.IsNullOrEmpty(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }
}
