using System;
using Azure.Core;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.LocalHost;

// The relay on the WebJobs SDK: the same queue-trigger engine as the Functions host, the same
// settings (appsettings.json, then environment variables such as Relay__Smarthost__Host and
// RelayStorage, then the command line), the same handler as the Function.
// Exit codes: 0 stopped (Ctrl+C, SIGTERM); 2 invalid settings; 3 Storage unreachable or refusing the
// credentials at start-up (RelayStartupCheck): one line per problem on stderr, no stack trace.
var builder = new HostBuilder()
    .ConfigureHostConfiguration(configuration => configuration.AddEnvironmentVariables("DOTNET_"))
    .ConfigureAppConfiguration((context, configuration) => configuration
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args))
    .ConfigureWebJobs((context, builder) =>
    {
        var queues = context.Configuration.GetSection("Queues").Get<QueueHostSettings>() ?? new QueueHostSettings();
        builder.AddAzureStorageCoreServices();
        builder.AddAzureStorageQueues(options =>
        {
            options.BatchSize = queues.BatchSize;
            options.NewBatchThreshold = queues.NewBatchThreshold;
            options.MaxDequeueCount = context.Configuration.GetValue("Relay:MaxAttempts", 5);
            options.VisibilityTimeout = queues.VisibilityTimeout;
            options.MaxPollingInterval = queues.MaxPollingInterval;
            options.MessageEncoding = QueueMessageEncoding.Base64;
        });
    })
    .ConfigureLogging((context, logging) => logging
        .AddConfiguration(context.Configuration.GetSection("Logging"))
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        }))
    .ConfigureServices((context, services) =>
    {
        services.AddSmtpRelay(context.Configuration);
        services.AddRelayTelemetry(context.Configuration);
        var queues = context.Configuration.GetSection("Queues").Get<QueueHostSettings>() ?? new QueueHostSettings();
        services.AddHostedService(sp => new StorageWatch(sp, queues.StorageCheckInterval, sp.GetRequiredService<ILogger<StorageWatch>>()));
        if (queues.InFlightVisibilityTimeout is { } visibility)
        {
            // The queue extension builds its clients through AzureComponentFactory, which applies these defaults.
            services.AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(new ReceiveVisibilityPolicy(visibility), HttpPipelinePosition.PerCall)));
        }
    })
    .UseConsoleLifetime();

IHost host;
try
{
    host = builder.Build();
}
catch (Exception ex) when (RelayStartupCheck.IsBindingError(ex))
{
    await Console.Error.WriteLineAsync(RelayStartupCheck.Prefix + "configuration error: " + ex.Message);
    return RelayStartupCheck.InvalidSettingsExitCode;
}

using (host)
{
    var check = await RelayStartupCheck.RunAsync(host.Services, Console.Error);
    if (check != 0)
    {
        return check;
    }

    await host.RunAsync();
}

return 0;
