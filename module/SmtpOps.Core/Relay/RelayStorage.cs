using System;
using Azure.Storage.Queues;

namespace SmtpOps.Relay;

/// <summary>The relay's naming and client settings for Storage, shared by enqueuers and the relay.</summary>
public static class RelayStorage
{
    /// <summary>Queue client options with Base64 message encoding, which the Functions queue trigger expects.</summary>
    /// <returns>The options.</returns>
    public static QueueClientOptions QueueOptions() => new() { MessageEncoding = QueueMessageEncoding.Base64 };

    /// <summary>Gets the container for claim-checked content of a relay queue.</summary>
    /// <param name="queueName">The relay queue.</param>
    /// <returns><c>&lt;queue&gt;-attachments</c>.</returns>
    public static string AttachmentContainerName(string queueName) => $"{queueName}-attachments";

    /// <summary>
    /// Gets the attachment container of an Azure relay queue given by URI: the same account's blob endpoint
    /// (https://account.queue.core.windows.net/mail -> https://account.blob.core.windows.net/mail-attachments),
    /// or <c>null</c> when the host is not an Azure queue endpoint (an emulator's path-style URI, for example).
    /// </summary>
    /// <param name="queueUri">The queue URI.</param>
    /// <returns>The container URI, or <c>null</c>.</returns>
    public static Uri? AttachmentContainerUri(Uri queueUri)
    {
        if (queueUri is null)
        {
            throw new ArgumentNullException(nameof(queueUri));
        }

        var queueName = queueUri.AbsolutePath.Trim('/');
        if (queueName.Length == 0 || queueName.IndexOf('/') >= 0)
        {
            return null;
        }

        var blobService = SiblingServiceUri(queueUri, "blob");
        return blobService is null ? null : new UriBuilder(blobService) { Path = AttachmentContainerName(queueName) }.Uri;
    }

    /// <summary>Gets the queue service of a Storage account in Azure's public cloud, from its name.</summary>
    /// <param name="accountName">The account name (3-24 lowercase letters and digits).</param>
    /// <returns>https://&lt;account&gt;.queue.core.windows.net.</returns>
    public static Uri QueueServiceUri(string accountName)
    {
        if (string.IsNullOrWhiteSpace(accountName))
        {
            throw new ArgumentException("A Storage account name is required.", nameof(accountName));
        }

        return new Uri($"https://{accountName}.queue.core.windows.net");
    }

    /// <summary>
    /// Gets another service of the account that serves a queue service or queue URI (its blob or table service), by
    /// its host name: https://account.queue.core.windows.net -> https://account.table.core.windows.net (any Azure
    /// cloud's suffix). <c>null</c> when the host is not an Azure queue endpoint: an emulator's path-style URI, a
    /// custom domain.
    /// </summary>
    /// <param name="queueUri">The queue service or a queue URI.</param>
    /// <param name="service">The other service's label: <c>blob</c> or <c>table</c>.</param>
    /// <returns>The service's root URI, or <c>null</c>.</returns>
    public static Uri? SiblingServiceUri(Uri queueUri, string service)
    {
        if (queueUri is null)
        {
            throw new ArgumentNullException(nameof(queueUri));
        }

        var labels = queueUri.Host.Split('.');
        if (labels.Length < 3 || !labels[1].Equals("queue", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        labels[1] = service;
        return new UriBuilder(queueUri) { Host = string.Join(".", labels), Path = "/", Query = string.Empty }.Uri;
    }

    /// <summary>Gets the queue of dead-letter records of a relay queue.</summary>
    /// <param name="queueName">The relay queue.</param>
    /// <returns><c>&lt;queue&gt;-failed</c>.</returns>
    public static string FailedQueueName(string queueName) => $"{queueName}-failed";

    /// <summary>Gets the queue the Functions host (or the WebJobs SDK) moves a message to after its last failed delivery.</summary>
    /// <param name="queueName">The relay queue.</param>
    /// <returns><c>&lt;queue&gt;-poison</c>.</returns>
    public static string PoisonQueueName(string queueName) => $"{queueName}-poison";

    /// <summary>Tells whether a queue of the account can be a relay queue: not a <c>-failed</c> or <c>-poison</c> queue of one.</summary>
    /// <param name="name">The queue name.</param>
    /// <returns>Whether it can be a relay queue.</returns>
    public static bool CanBeRelayQueue(string name)
        => name is not null && !name.EndsWith(FailedQueueName(string.Empty), StringComparison.Ordinal) && !name.EndsWith(PoisonQueueName(string.Empty), StringComparison.Ordinal);

    /// <summary>Gets the table of idempotency keys of a relay queue (letters and digits only, as tables require).</summary>
    /// <param name="queueName">The relay queue.</param>
    /// <returns>The table name.</returns>
    public static string LedgerTableName(string queueName)
    {
        var letters = new System.Text.StringBuilder("relaysent");
        foreach (var c in queueName)
        {
            if (char.IsLetterOrDigit(c))
            {
                letters.Append(c);
            }
        }

        return letters.Length > 63 ? letters.ToString(0, 63) : letters.ToString();
    }
}
