using System;
using System.Collections.Generic;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmtpOps.Relay.Hosting;

namespace SmtpOps.Relay.Tests;

/// <summary>The relay's services as a host builds them, from in-memory configuration.</summary>
public static class RelayServices
{
    public static Dictionary<string, string?> Settings(string connectionString, string queueName, int smtpPort) => new()
    {
        ["RelayStorage"] = connectionString,
        ["Relay:QueueName"] = queueName,
        ["Relay:Smarthost:Host"] = "127.0.0.1",
        ["Relay:Smarthost:Port"] = $"{smtpPort}",
        ["Relay:Smarthost:Security"] = "None",
        ["Relay:Smarthost:Retries"] = "0",
        ["Relay:Smarthost:Timeout"] = "10",
        ["Relay:Policy:AllowedSenders:0"] = "contoso.test",
        ["Relay:RetryDelay"] = "2",
        ["Relay:ClaimLease"] = "30",
        ["Relay:MessagesPerMinute"] = "0",
    };

    public static ServiceProvider Build(IDictionary<string, string?> settings, CollectingLoggerProvider? logs = null, Action<IServiceCollection>? before = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Debug);
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        });
        before?.Invoke(services);
        services.AddSmtpRelay(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
