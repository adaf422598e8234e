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

        var labels = queueUri.Host.Split('.');
        var queueName = queueUri.AbsolutePath.Trim('/');
        if (labels.Length < 3 || !labels[1].Equals("queue", StringComparison.OrdinalIgnoreCase) || queueName.Length == 0 || queueName.IndexOf('/') >= 0)
        {
            return null;
        }

        labels[1] = "blob";
        return new UriBuilder(queueUri) { Host = string.Join(".", labels), Path = AttachmentContainerName(queueName), Query = string.Empty }.Uri;
    }

    /// <summary>Gets the queue of dead-letter records of a relay queue.</summary>
    /// <param name="queueName">The relay queue.</param>
    /// <returns><c>&lt;queue&gt;-failed</c>.</returns>
    public static string FailedQueueName(string queueName) => $"{queueName}-failed";

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
