using Microsoft.Extensions.Configuration;

namespace SmtpOps.Relay.Hosting;

/// <summary>The Storage connection string the relay's processor and handler use, found like the queue trigger finds its connection.</summary>
internal sealed class RelayStorageConnection
{
    public const string SettingName = "RelayStorage";

    public RelayStorageConnection(string? connectionString) => ConnectionString = connectionString;

    public string? ConnectionString { get; }

    public static RelayStorageConnection From(IConfiguration configuration)
    {
        var value = configuration[SettingName];
        if (string.IsNullOrWhiteSpace(value))
        {
            value = configuration.GetConnectionString(SettingName);
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            value = configuration["AzureWebJobsStorage"];
        }

        return new RelayStorageConnection(string.IsNullOrWhiteSpace(value) ? null : value);
    }
}
