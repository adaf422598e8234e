using System;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using SmtpOps.Identity;
using SmtpOps.Messages;

namespace SmtpOps.Relay;

/// <summary>
/// The operator's side of a relay queue, beside <see cref="SmtpRelayClient"/>: what the queue holds, the failures
/// (dead-letter records in <c>&lt;queue&gt;-failed</c> and messages in the platform's <c>&lt;queue&gt;-poison</c>),
/// re-sending or removing them, and where one message is. It never receives from the relay queue itself (that would
/// count as a delivery): it peeks there, so it sees the first 32 visible messages.
/// </summary>
/// <remarks>
/// Reading more than 32 records of <c>-failed</c> or <c>-poison</c> receives them for 30 s and makes them visible
/// again at the end (Storage can peek at most 32). Re-sending and removing receive the one record they act on, so two
/// operators cannot both re-send it. Idempotency: a failure the ledger does not record as sent is re-sent under its
/// own key and will be sent once; one the ledger records as sent is refused unless forced, which removes the key from
/// the ledger so that the relay sends it again.
/// </remarks>
public sealed partial class RelayQueueInspector
{
    private const int PeekLimit = 32;
    private static readonly TimeSpan ScanVisibility = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan HoldVisibility = TimeSpan.FromSeconds(60);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly QueueClient queue;
    private readonly QueueClient failed;
    private readonly QueueClient poison;
    private readonly BlobContainerClient container;
    private readonly RelayBlobStore blobs;
    private readonly TableClient ledger;

    /// <summary>Creates the inspector over Storage service clients.</summary>
    /// <param name="queues">The queue service; its clients must not decode messages (<see cref="QueueMessageEncoding.None"/>): the inspector reads Base64 and raw text itself.</param>
    /// <param name="blobs">The blob service holding <c>&lt;queue&gt;-attachments</c>.</param>
    /// <param name="tables">The table service holding the idempotency ledger.</param>
    /// <param name="queueName">The relay queue.</param>
    public RelayQueueInspector(QueueServiceClient queues, BlobServiceClient blobs, TableServiceClient tables, string queueName)
    {
        if (queues is null)
        {
            throw new ArgumentNullException(nameof(queues));
        }

        if (string.IsNullOrWhiteSpace(queueName))
        {
            throw new ArgumentException("A relay queue name is required.", nameof(queueName));
        }

        queue = queues.GetQueueClient(queueName);
        failed = queues.GetQueueClient(RelayStorage.FailedQueueName(queueName));
        poison = queues.GetQueueClient(RelayStorage.PoisonQueueName(queueName));
        container = (blobs ?? throw new ArgumentNullException(nameof(blobs))).GetBlobContainerClient(RelayStorage.AttachmentContainerName(queueName));
        this.blobs = new RelayBlobStore(container);
        ledger = (tables ?? throw new ArgumentNullException(nameof(tables))).GetTableClient(RelayStorage.LedgerTableName(queueName));
    }

    /// <summary>Gets the relay queue.</summary>
    public string QueueName => queue.Name;

    /// <summary>Gets the Storage account.</summary>
    public string AccountName => queue.AccountName;

    /// <summary>Creates an inspector from a Storage connection string (Azurite's works too), as <see cref="SmtpRelayClient.Create(string, string, string?, StorageRetryPolicy?)"/> takes it.</summary>
    /// <param name="connectionString">The Storage connection string.</param>
    /// <param name="queueName">The relay queue.</param>
    /// <param name="retry">How failed Storage requests are retried; defaults to <see cref="StorageRetryPolicy.Default"/>.</param>
    /// <returns>The inspector.</returns>
    /// <exception cref="RelayStorageException">The connection string cannot be parsed; the message does not repeat it.</exception>
    public static RelayQueueInspector Create(string connectionString, string queueName, StorageRetryPolicy? retry = null)
    {
        var policy = retry ?? StorageRetryPolicy.Default;
        try
        {
            return new(
                new QueueServiceClient(connectionString, policy.ApplyTo(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None })),
                new BlobServiceClient(connectionString, policy.ApplyTo(new BlobClientOptions())),
                new TableServiceClient(connectionString, policy.ApplyTo(new TableClientOptions())),
                queueName);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new RelayStorageException(
                RelayStorageFailureKind.InvalidConnectionString,
                $"The Storage connection string for relay queue '{queueName}' is malformed: {ex.Message} Expected 'DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net', a SAS connection string with queue, blob and table endpoints, or 'UseDevelopmentStorage=true'.",
                ex)
            {
                Queue = queueName,
            };
        }
    }

    /// <summary>Creates an inspector for a managed identity or any other Entra ID credential (it needs to read and delete queue messages, blobs and table entities).</summary>
    /// <param name="queueServiceUri">The queue service, e.g. https://account.queue.core.windows.net.</param>
    /// <param name="blobServiceUri">The blob service.</param>
    /// <param name="tableServiceUri">The table service.</param>
    /// <param name="credential">The credential.</param>
    /// <param name="queueName">The relay queue.</param>
    /// <param name="retry">How failed Storage requests are retried; defaults to <see cref="StorageRetryPolicy.Default"/>.</param>
    /// <returns>The inspector.</returns>
    public static RelayQueueInspector Create(Uri queueServiceUri, Uri blobServiceUri, Uri tableServiceUri, TokenCredential credential, string queueName, StorageRetryPolicy? retry = null)
    {
        var policy = retry ?? StorageRetryPolicy.Default;
        return new(
            new QueueServiceClient(queueServiceUri, credential, policy.ApplyTo(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None })),
            new BlobServiceClient(blobServiceUri, credential, policy.ApplyTo(new BlobClientOptions())),
            new TableServiceClient(tableServiceUri, credential, policy.ApplyTo(new TableClientOptions())),
            queueName);
    }

    /// <summary>
    /// Creates an inspector from a Microsoft Entra access token for Storage that the caller already has (audience
    /// https://storage.azure.com; for example from Get-AzAccessToken in a runbook signed in with a managed identity),
    /// for accounts with shared keys disabled. The identity needs Storage Queue Data Contributor on the relay's queues,
    /// Storage Blob Data Contributor on <c>&lt;queue&gt;-attachments</c> and Storage Table Data Reader (Contributor to
    /// re-send with -Force) on its ledger table.
    /// </summary>
    /// <param name="queueServiceUri">The queue service, e.g. https://account.queue.core.windows.net.</param>
    /// <param name="accessToken">The bearer token; used as it is (not refreshed; its exp claim is its expiry).</param>
    /// <param name="queueName">The relay queue.</param>
    /// <param name="blobServiceUri">The blob service; <c>null</c> derives it from an Azure queue service's host name.</param>
    /// <param name="tableServiceUri">The table service; <c>null</c> derives it from an Azure queue service's host name.</param>
    /// <param name="retry">How failed Storage requests are retried; defaults to <see cref="StorageRetryPolicy.Default"/>.</param>
    /// <returns>The inspector.</returns>
    /// <exception cref="ArgumentException">A blob or table service is not given and cannot be derived (not a *.queue.* host).</exception>
    public static RelayQueueInspector Create(Uri queueServiceUri, string accessToken, string queueName, Uri? blobServiceUri = null, Uri? tableServiceUri = null, StorageRetryPolicy? retry = null)
    {
        if (queueServiceUri is null)
        {
            throw new ArgumentNullException(nameof(queueServiceUri));
        }

        var blobs = blobServiceUri ?? RelayStorage.SiblingServiceUri(queueServiceUri, "blob")
            ?? throw new ArgumentException($"The blob service of '{queueServiceUri}' cannot be derived from it (not an Azure *.queue.* endpoint): give its URI.", nameof(blobServiceUri));
        var tables = tableServiceUri ?? RelayStorage.SiblingServiceUri(queueServiceUri, "table")
            ?? throw new ArgumentException($"The table service of '{queueServiceUri}' cannot be derived from it (not an Azure *.queue.* endpoint): give its URI.", nameof(tableServiceUri));
        return Create(queueServiceUri, blobs, tables, new AccessTokenCredential(accessToken), queueName, retry);
    }

    private static string At(DateTimeOffset? when) => when is { } w ? " at " + w.ToString("u", CultureInfo.InvariantCulture) : string.Empty;

    private static string? DecodeBase64(string text)
    {
        try
        {
            return StrictUtf8.GetString(Convert.FromBase64String(text));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static RelayEnvelope? TryReadEnvelope(string? text, out RelayEnvelope? envelope)
    {
        envelope = null;
        if (text is null)
        {
            return null;
        }

        try
        {
            envelope = RelayEnvelopeFormat.Deserialize(text);
        }
        catch (RelayEnvelopeException)
        {
            // Not an envelope: nothing to tell.
        }

        return envelope;
    }

    // The sender a key is scoped to in the ledger, read as the relay's policy reads it; null when it is not one address.
    private static string? SenderOf(RelayEnvelope envelope)
    {
        try
        {
            var senders = MessageComposer.ParseAddresses(new[] { envelope.From }, "From");
            return senders.Count == 1 ? senders[0].Address : null;
        }
        catch (MessageValidationException)
        {
            return null;
        }
    }

    private async Task<int> RequireQueueAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new RelayStorageException(RelayStorageFailureKind.NotFound, $"Relay queue '{queue.Name}' does not exist in Storage account '{queue.AccountName}' ({ex.Status} {ex.ErrorCode}).", ex)
            {
                Account = queue.AccountName,
                Queue = queue.Name,
                Endpoint = queue.Uri.GetLeftPart(UriPartial.Path),
                Status = ex.Status,
                ErrorCode = ex.ErrorCode,
                Attempts = 1,
            };
        }
    }

    private async Task<TableEntity?> LedgerEntryAsync(string sender, string key, CancellationToken cancellationToken)
    {
        var (partition, row) = RelayLedgerSchema.Locate(sender, key);
        try
        {
            var entry = await ledger.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
            return entry.HasValue ? entry.Value : null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private async Task<T> GuardAsync<T>(string action, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (SmtpRelayClient.LastRequestFailure(ex, out var attempts) is { } failure && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw RelayStorageException.FromRequest(queue, $"{action} relay queue '{queue.Name}'", "a queue, container or table does not exist", failure, attempts, clock.Elapsed, ex);
        }
    }
}
