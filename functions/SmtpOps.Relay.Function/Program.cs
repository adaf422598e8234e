using System;
using System.IO;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Hosting;
using SmtpOps.Relay.Hosting;

// The isolated worker (FunctionsApplication applies ConfigureFunctionsWorkerDefaults). Configuration
// comes from app settings (Relay__Smarthost__Host, ..., RelayStorage); the relay's services come
// from SmtpOps.Relay.Hosting, the same registration the local WebJobs host uses.
// Before the worker starts: invalid settings (exit 2) or an unreachable Storage account (exit 3) end it
// with one line per problem on stderr (host.json's maxDequeueCount must equal Relay:MaxAttempts), which the Functions host logs, instead of a stack trace.
var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddSmtpRelay(builder.Configuration);

// Traces and metrics to Azure Monitor (APPLICATIONINSIGHTS_CONNECTION_STRING) and/or OTLP (OTEL_EXPORTER_OTLP_ENDPOINT);
// the worker's defaults make its invocation span continue the host's trace (host.json telemetryMode: OpenTelemetry).
builder.Services.AddRelayTelemetry(builder.Configuration, telemetry => telemetry.UseFunctionsWorkerDefaults());
using var host = builder.Build();
var check = await RelayStartupCheck.RunAsync(host.Services, Console.Error, hostJsonPath: Path.Combine(AppContext.BaseDirectory, "host.json"));
if (check != 0)
{
    return check;
}

await host.RunAsync();
return 0;
