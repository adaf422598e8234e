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
