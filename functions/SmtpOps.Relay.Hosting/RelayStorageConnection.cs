using System;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace SmtpOps.Relay.Hosting;

/// <summary>
/// The Storage account the relay's own clients use (dead-letter queue, claim-check container, ledger table, the
/// handler's queue), read from the same setting as the queue trigger's <c>Connection = "RelayStorage"</c> and with the
/// same meaning: a connection string, or the identity-based form of Azure Functions (<c>RelayStorage__queueServiceUri</c>,
/// <c>__blobServiceUri</c>, <c>__tableServiceUri</c> or <c>__accountName</c>, with <c>__credential</c> = managedidentity and
/// an optional <c>__clientId</c> for a user-assigned identity). <c>AzureWebJobsStorage</c> is the fallback, in either form.
/// </summary>
internal sealed class RelayStorageConnection
{
    public const string SettingName = "RelayStorage";

    private RelayStorageConnection(string? connectionString, Uri? queues, Uri? blobs, Uri? tables, TokenCredential? credential, string? source)
    {
        ConnectionString = connectionString;
        QueueServiceUri = queues;
        BlobServiceUri = blobs;
        TableServiceUri = tables;
        Credential = credential;
        Source = source;
    }

    /// <summary>Gets the connection string, when the account is given by one.</summary>
    public string? ConnectionString { get; }

    /// <summary>Gets the queue endpoint of an identity-based connection.</summary>
    public Uri? QueueServiceUri { get; }

    /// <summary>Gets the blob endpoint of an identity-based connection.</summary>
    public Uri? BlobServiceUri { get; }

    /// <summary>Gets the table endpoint of an identity-based connection.</summary>
    public Uri? TableServiceUri { get; }

    /// <summary>Gets the Entra credential of an identity-based connection.</summary>
    public TokenCredential? Credential { get; }

    /// <summary>Gets the setting the connection came from, or <c>null</c> when there is none.</summary>
    public string? Source { get; }

    /// <summary>Gets whether the connection uses an identity rather than a key or SAS.</summary>
    public bool IsIdentityBased => Credential is not null;

    /// <summary>Gets whether a connection was configured at all.</summary>
    public bool IsConfigured => ConnectionString is not null || IsIdentityBased;

    public static RelayStorageConnection From(IConfiguration configuration)
        => Read(configuration, SettingName) ?? Read(configuration, "AzureWebJobsStorage") ?? new RelayStorageConnection(null, null, null, null, null, null);

    public QueueClient Queue(string name, QueueClientOptions options)
        => IsIdentityBased ? new QueueClient(new Uri(QueueServiceUri!.AbsoluteUri.TrimEnd('/') + "/" + name), Credential!, options) : new QueueClient(ConnectionString, name, options);

    public BlobContainerClient Container(string name)
        => IsIdentityBased ? new BlobContainerClient(new Uri(BlobServiceUri!.AbsoluteUri.TrimEnd('/') + "/" + name), Credential!) : new BlobContainerClient(ConnectionString, name);

    public TableClient Table(string name)
        => IsIdentityBased ? new TableClient(TableServiceUri!, name, Credential!) : new TableClient(ConnectionString, name);

    /// <summary>Says what is missing from an identity-based connection, or <c>null</c>.</summary>
    /// <returns>The problem in one line, naming settings only.</returns>
    public string? Problem()
        => IsIdentityBased && (QueueServiceUri is null || BlobServiceUri is null || TableServiceUri is null)
            ? $"{Source} is identity-based but does not give every endpoint the relay uses: set {Source}__accountName, or {Source}__queueServiceUri, {Source}__blobServiceUri and {Source}__tableServiceUri (the relay writes dead letters to a queue, claim checks to a container and its ledger to a table)."
            : null;

    private static RelayStorageConnection? Read(IConfiguration configuration, string name)
    {
        var value = configuration[name];
        if (string.IsNullOrWhiteSpace(value))
        {
            value = configuration.GetConnectionString(name);
        }

        if (!string.IsNullOrWhiteSpace(value))
        {
            return new RelayStorageConnection(value, null, null, null, null, name);
        }

        var section = configuration.GetSection(name);
        var account = section["accountName"];
        Uri? Endpoint(string service) => section[$"{service}ServiceUri"] is { Length: > 0 } uri ? new Uri(uri)
            : string.IsNullOrWhiteSpace(account) ? null : new Uri($"https://{account}.{service}.core.windows.net");
        var queues = Endpoint("queue");
        var blobs = Endpoint("blob");
        var tables = Endpoint("table");
        if (queues is null && blobs is null && tables is null)
        {
            return null;
        }

        return new RelayStorageConnection(null, queues, blobs, tables, CreateCredential(section), name);
    }

    // As the Functions host reads it: credential=managedidentity (with clientId for a user-assigned identity), otherwise
    // the default chain (environment, workload identity, managed identity, a developer's Azure CLI sign-in).
    private static TokenCredential CreateCredential(IConfigurationSection section)
    {
        var clientId = section["clientId"];
        if (string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return string.IsNullOrWhiteSpace(clientId)
                ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        return new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = string.IsNullOrWhiteSpace(clientId) ? null : clientId });
    }
}
