using System;
using Azure.Core;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.LocalHost;

// The relay on the WebJobs SDK: the same queue-trigger engine as the Functions host, the same
// settings (appsettings.json, then environment variables such as Relay__Smarthost__Host and
// RelayStorage, then the command line), the same handler as the Function.
var host = new HostBuilder()
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
        if (context.Configuration.GetSection("Queues").Get<QueueHostSettings>()?.InFlightVisibilityTimeout is { } visibility)
        {
            // The queue extension builds its clients through AzureComponentFactory, which applies these defaults.
            services.AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(new ReceiveVisibilityPolicy(visibility), HttpPipelinePosition.PerCall)));
        }
    })
    .UseConsoleLifetime()
    .Build();

using (host)
{
    await host.RunAsync();
}
