using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
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
public sealed class RelayQueueInspector
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
        poison = queues.GetQueueClient(PoisonQueueName(queueName));
        container = (blobs ?? throw new ArgumentNullException(nameof(blobs))).GetBlobContainerClient(RelayStorage.AttachmentContainerName(queueName));
        this.blobs = new RelayBlobStore(container);
        ledger = (tables ?? throw new ArgumentNullException(nameof(tables))).GetTableClient(RelayStorage.LedgerTableName(queueName));
    }

    /// <summary>Gets the relay queue.</summary>
    public string QueueName => queue.Name;

    /// <summary>Gets the Storage account.</summary>
    public string AccountName => queue.AccountName;

    /// <summary>Gets the platform's poison queue of a relay queue.</summary>
    /// <param name="queueName">The relay queue.</param>
    /// <returns><c>&lt;queue&gt;-poison</c>.</returns>
    public static string PoisonQueueName(string queueName) => $"{queueName}-poison";

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

    /// <summary>
    /// Lists the queues of an account that can be relay queues: all but the <c>-failed</c> and <c>-poison</c> ones
    /// (for completion: one request, no retries, a few seconds at most).
    /// </summary>
    /// <param name="connectionString">The Storage connection string.</param>
    /// <param name="prefix">The start of the names to list; empty: all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The queue names, at most 100.</returns>
    /// <exception cref="RelayStorageException">The connection string cannot be parsed.</exception>
    public static async Task<IReadOnlyList<string>> ListQueuesAsync(string connectionString, string? prefix = null, CancellationToken cancellationToken = default)
    {
        var quick = new StorageRetryPolicy { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(3) };
        QueueServiceClient service;
        try
        {
            service = new QueueServiceClient(connectionString, quick.ApplyTo(new QueueClientOptions()));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new RelayStorageException(RelayStorageFailureKind.InvalidConnectionString, $"The Storage connection string is malformed: {ex.Message}", ex);
        }

        return await ListRelayQueuesAsync(service, prefix, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the queues that can be relay queues, as <see cref="ListQueuesAsync(string, string?, CancellationToken)"/>, with a Microsoft Entra access token for Storage.</summary>
    /// <param name="queueServiceUri">The queue service, e.g. https://account.queue.core.windows.net.</param>
    /// <param name="accessToken">The bearer token.</param>
    /// <param name="prefix">The start of the names to list; empty: all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The queue names, at most 100.</returns>
    public static Task<IReadOnlyList<string>> ListQueuesAsync(Uri queueServiceUri, string accessToken, string? prefix = null, CancellationToken cancellationToken = default)
    {
        var quick = new StorageRetryPolicy { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(3) };
        var service = new QueueServiceClient(queueServiceUri, new AccessTokenCredential(accessToken), quick.ApplyTo(new QueueClientOptions()));
        return ListRelayQueuesAsync(service, prefix, cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> ListRelayQueuesAsync(QueueServiceClient service, string? prefix, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var item in service.GetQueuesAsync(prefix: string.IsNullOrEmpty(prefix) ? null : prefix, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!item.Name.EndsWith("-failed", StringComparison.Ordinal) && !item.Name.EndsWith("-poison", StringComparison.Ordinal))
            {
                names.Add(item.Name);
                if (names.Count == 100)
                {
                    break;
                }
            }
        }

        return names;
    }

    /// <summary>Reads what the relay queue holds now.</summary>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The status.</returns>
    /// <exception cref="RelayStorageException">The relay queue does not exist (<see cref="RelayStorageFailureKind.NotFound"/>), or Storage cannot be reached or refuses.</exception>
    public Task<RelayQueueStatus> GetStatusAsync(CancellationToken cancellationToken = default) => GuardAsync("read", async () =>
    {
        var waiting = await RequireQueueAsync(cancellationToken).ConfigureAwait(false);
        var oldest = (await queue.PeekMessagesAsync(1, cancellationToken).ConfigureAwait(false)).Value.FirstOrDefault();
        var now = DateTimeOffset.UtcNow;
        int blobCount = 0;
        long blobBytes = 0;
        try
        {
            await foreach (var blob in container.GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                blobCount++;
                blobBytes += blob.Properties.ContentLength ?? 0;
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No claim check was ever needed: no container.
        }

        return new RelayQueueStatus
        {
            Queue = queue.Name,
            Account = queue.AccountName,
            Waiting = waiting,
            OldestAge = oldest?.InsertedOn is { } inserted ? now - inserted : null,
            DeadLettered = await CountAsync(failed, cancellationToken).ConfigureAwait(false),
            Poison = await CountAsync(poison, cancellationToken).ConfigureAwait(false),
            Blobs = blobCount,
            BlobBytes = blobBytes,
            ReadAt = now,
        };
    }, cancellationToken);

    /// <summary>Reads the dead-letter records and the poison messages, oldest first.</summary>
    /// <param name="filter">Which to return; <c>null</c>: all.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The failures.</returns>
    /// <exception cref="RelayStorageException">The relay queue does not exist, or Storage cannot be reached or refuses.</exception>
    public Task<IReadOnlyList<RelayFailure>> GetFailuresAsync(RelayFailureFilter? filter = null, CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyList<RelayFailure>>("read", async () =>
    {
        await RequireQueueAsync(cancellationToken).ConfigureAwait(false);
        return await ReadFailuresAsync(filter, cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>
    /// Puts a failure's original message back on the relay queue (its claim-check blobs stay where they are, the
    /// envelope still points at them), then deletes the record. The message keeps its idempotency key.
    /// </summary>
    /// <param name="failure">A failure read by <see cref="GetFailuresAsync"/>.</param>
    /// <param name="force">Re-send also when the ledger records the key as sent: the key is removed from the ledger and the mail is sent again.</param>
    /// <param name="cancellationToken">Cancels the work (before the message is enqueued, nothing changed).</param>
    /// <returns>What was queued.</returns>
    /// <exception cref="RelayInspectionException">The record is gone, the ledger says sent (without <paramref name="force"/>), or the record holds nothing sendable; nothing changed.</exception>
    /// <exception cref="RelayStorageException">The relay queue does not exist, or Storage cannot be reached or refuses.</exception>
    public Task<RelayEnqueueResult> ResendAsync(RelayFailure failure, bool force = false, CancellationToken cancellationToken = default) => GuardAsync("re-send to", async () =>
    {
        if (failure is null)
        {
            throw new ArgumentNullException(nameof(failure));
        }

        await RequireQueueAsync(cancellationToken).ConfigureAwait(false);
        var text = await OriginalTextAsync(failure, cancellationToken).ConfigureAwait(false);
        RelayEnvelope envelope;
        try
        {
            envelope = RelayEnvelopeFormat.Deserialize(text);
        }
        catch (RelayEnvelopeException ex)
        {
            throw new RelayInspectionException(RelayInspectionError.NotResendable, $"The failure's original message is not an envelope the relay can send ({ex.Message}); remove it instead.", failure, ex);
        }

        foreach (var name in RelayBlobStore.BlobNamesOf(envelope))
        {
            if (!await blobs.ExistsAsync(name, cancellationToken).ConfigureAwait(false))
            {
                throw new RelayInspectionException(RelayInspectionError.NotResendable, $"The claim-check blob '{name}' of envelope {envelope.Id} does not exist: the relay could not send the message; remove the failure instead.", failure);
            }
        }

        var record = await HoldAsync(failure, cancellationToken).ConfigureAwait(false);
        var entry = SenderOf(envelope) is { } sender ? await LedgerEntryAsync(sender, envelope.IdempotencyKey, cancellationToken).ConfigureAwait(false) : null;
        if (entry?.GetString(RelayLedgerSchema.State) == RelayLedgerSchema.Sent)
        {
            if (!force)
            {
                await record.Queue.UpdateMessageAsync(record.Id, record.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                throw new RelayInspectionException(
                    RelayInspectionError.AlreadySent,
                    $"The ledger records idempotency key '{envelope.IdempotencyKey}' as sent{At(entry.GetDateTimeOffset(RelayLedgerSchema.SentAt))} ({entry.GetString(RelayLedgerSchema.Response)}): re-sending would deliver it twice. Use force to send it again anyway.",
                    failure);
            }

            await ledger.DeleteEntityAsync(entry.PartitionKey, entry.RowKey, entry.ETag, cancellationToken).ConfigureAwait(false);
        }

        var receipt = await queue.SendMessageAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(text)), cancellationToken).ConfigureAwait(false);
        await record.Queue.DeleteMessageAsync(record.Id, record.PopReceipt, CancellationToken.None).ConfigureAwait(false);
        if (failure.OriginalMessageBlob is { } copy)
        {
            await blobs.DeleteAsync(new[] { copy }).ConfigureAwait(false);
        }

        return new RelayEnqueueResult
        {
            QueueMessageId = receipt.Value.MessageId,
            Queue = queue.Name,
            EnvelopeId = envelope.Id,
            MessageId = envelope.MessageId ?? string.Empty,
            IdempotencyKey = envelope.IdempotencyKey,
            Subject = envelope.Subject,
            BlobCount = RelayBlobStore.BlobNamesOf(envelope).Count,
            QueueMessageBytes = RelayEnvelopeFormat.SizeOf(text),
        };
    }, cancellationToken);

    /// <summary>Deletes a failure's record and its blobs (claim checks under its envelope, a large original's copy); nothing else.</summary>
    /// <param name="failure">A failure read by <see cref="GetFailuresAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The names of the blobs deleted.</returns>
    /// <exception cref="RelayInspectionException">The record is gone already (<see cref="RelayInspectionError.FailureNotFound"/>); nothing was deleted.</exception>
    /// <exception cref="RelayStorageException">The relay queue does not exist, or Storage cannot be reached or refuses.</exception>
    public Task<IReadOnlyList<string>> RemoveAsync(RelayFailure failure, CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyList<string>>("remove from", async () =>
    {
        if (failure is null)
        {
            throw new ArgumentNullException(nameof(failure));
        }

        await RequireQueueAsync(cancellationToken).ConfigureAwait(false);
        var record = await HoldAsync(failure, cancellationToken).ConfigureAwait(false);
        // Only names of the forms the relay writes, inside the container: a record (or an object made to look like one)
        // naming another container's blob deletes nothing there.
        var names = new SortedSet<string>(failure.Blobs, StringComparer.Ordinal);
        if (RelayBlobStore.IsEnvelopeId(failure.EnvelopeId))
        {
            names.UnionWith(await blobs.ListEnvelopeFolderAsync(failure.EnvelopeId!, cancellationToken).ConfigureAwait(false));
        }

        await record.Queue.DeleteMessageAsync(record.Id, record.PopReceipt, CancellationToken.None).ConfigureAwait(false);
        var deleted = await blobs.DeleteAsync(names).ConfigureAwait(false);
        return deleted;
    }, cancellationToken);

    /// <summary>
    /// Says where a message is: waiting or being retried on the queue (among the first 32 visible messages), being
    /// sent, sent (the ledger's time and the smarthost's answer), a duplicate the relay will drop, dead-lettered
    /// (the reason), poison, or unknown. One location per copy found.
    /// </summary>
    /// <param name="messageIdOrKey">A Message-ID (angle brackets optional) or an idempotency key.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>Where it is; one <see cref="RelayMessageState.Unknown"/> location when nothing knows it.</returns>
    /// <exception cref="RelayStorageException">The relay queue does not exist, or Storage cannot be reached or refuses.</exception>
    public Task<IReadOnlyList<RelayMessageLocation>> FindAsync(string messageIdOrKey, CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyList<RelayMessageLocation>>("read", async () =>
    {
        if (string.IsNullOrWhiteSpace(messageIdOrKey))
        {
            throw new ArgumentException("A Message-ID or idempotency key is required.", nameof(messageIdOrKey));
        }

        var total = await RequireQueueAsync(cancellationToken).ConfigureAwait(false);
        var bare = RelayFailureFilter.Bare(messageIdOrKey)!;
        bool Matches(string? messageId, string? key) =>
            string.Equals(RelayFailureFilter.Bare(messageId), bare, StringComparison.OrdinalIgnoreCase) || string.Equals(key, messageIdOrKey, StringComparison.Ordinal);

        var found = new List<RelayMessageLocation>();
        // The default key is the Message-ID without its angle brackets.
        var keys = new List<string> { messageIdOrKey, bare };
        var ledgerEntries = new Dictionary<string, IReadOnlyList<TableEntity>>(StringComparer.Ordinal);
        async Task<IReadOnlyList<TableEntity>> EntriesAsync(string key)
        {
            if (!ledgerEntries.TryGetValue(key, out var entries))
            {
                ledgerEntries[key] = entries = await LedgerEntriesAsync(key, cancellationToken).ConfigureAwait(false);
            }

            return entries;
        }

        var visible = (await queue.PeekMessagesAsync(PeekLimit, cancellationToken).ConfigureAwait(false)).Value;
        foreach (var message in visible)
        {
            if (TryReadEnvelope(DecodeBase64(message.Body.ToString()), out var envelope) is not { } e || !Matches(e.MessageId, e.IdempotencyKey))
            {
                continue;
            }

            keys.Add(e.IdempotencyKey);
            var sender = SenderOf(e);
            var sent = (await EntriesAsync(e.IdempotencyKey).ConfigureAwait(false)).Any(entry =>
                entry.GetString(RelayLedgerSchema.State) == RelayLedgerSchema.Sent && string.Equals(entry.GetString(RelayLedgerSchema.Sender), sender, StringComparison.OrdinalIgnoreCase));
            found.Add(new RelayMessageLocation
            {
                Query = messageIdOrKey,
                State = sent ? RelayMessageState.Duplicate : message.DequeueCount > 0 ? RelayMessageState.Retrying : RelayMessageState.Waiting,
                Queue = queue.Name,
                MessageId = e.MessageId,
                IdempotencyKey = e.IdempotencyKey,
                QueueMessageId = message.MessageId,
                Attempt = message.DequeueCount,
                At = message.InsertedOn,
                Detail = sent
                    ? $"on the queue, but idempotency key '{e.IdempotencyKey}' was sent already: the relay will drop it without sending"
                    : message.DequeueCount > 0 ? $"on the queue after {message.DequeueCount} failed deliveries: it will be tried again" : "on the queue, not yet delivered",
            });
        }

        foreach (var failure in await ReadFailuresAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (!Matches(failure.MessageId, failure.IdempotencyKey))
            {
                continue;
            }

            if (failure.IdempotencyKey is { } key)
            {
                keys.Add(key);
            }

            var isPoison = failure.Kind == RelayFailure.PoisonKind;
            found.Add(new RelayMessageLocation
            {
                Query = messageIdOrKey,
                State = isPoison ? RelayMessageState.Poison : RelayMessageState.DeadLettered,
                Queue = queue.Name,
                MessageId = failure.MessageId,
                IdempotencyKey = failure.IdempotencyKey,
                QueueMessageId = failure.RecordId,
                Attempt = failure.Attempts,
                At = failure.FailedAt,
                Detail = failure.Reason,
                Failure = failure,
            });
        }

        foreach (var key in keys.Distinct(StringComparer.Ordinal))
        {
            foreach (var entry in await EntriesAsync(key).ConfigureAwait(false))
            {
                if (entry.GetString(RelayLedgerSchema.State) == RelayLedgerSchema.Sent)
                {
                    found.Add(new RelayMessageLocation
                    {
                        Query = messageIdOrKey,
                        State = RelayMessageState.Sent,
                        Queue = queue.Name,
                        MessageId = found.Select(f => f.MessageId).FirstOrDefault(m => m is not null) ?? (string.Equals(key, messageIdOrKey, StringComparison.Ordinal) ? null : bare),
                        IdempotencyKey = key,
                        At = entry.GetDateTimeOffset(RelayLedgerSchema.SentAt),
                        Detail = entry.GetString(RelayLedgerSchema.Response) ?? string.Empty,
                    });
                }
                else if (!found.Any(f => f.IdempotencyKey == key && f.State is RelayMessageState.Waiting or RelayMessageState.Retrying))
                {
                    found.Add(new RelayMessageLocation
                    {
                        Query = messageIdOrKey,
                        State = RelayMessageState.Sending,
                        Queue = queue.Name,
                        IdempotencyKey = key,
                        At = entry.GetDateTimeOffset(RelayLedgerSchema.ClaimedAt),
                        Detail = $"a delivery claimed idempotency key '{key}' of {entry.GetString(RelayLedgerSchema.Sender)}{At(entry.GetDateTimeOffset(RelayLedgerSchema.ClaimedAt))} and is sending it (a crashed delivery's claim is taken over after the relay's ClaimLease)",
                    });
                }
            }
        }

        if (found.Count == 0)
        {
            var hidden = Math.Max(0, total - visible.Length);
            var scope = total > PeekLimit ? $"the first {PeekLimit} visible messages of {total}" : "the visible messages";
            found.Add(new RelayMessageLocation
            {
                Query = messageIdOrKey,
                State = RelayMessageState.Unknown,
                Queue = queue.Name,
                Detail = string.Format(CultureInfo.InvariantCulture, "not among {0}, the dead-letter records, the poison messages or the sent keys; {1} message(s) on the queue are invisible now (being delivered or waiting for a retry)", scope, hidden),
            });
        }

        return found;
    }, cancellationToken);

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

    private static async Task<int> CountAsync(QueueClient client, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
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

    // Every sender's entry for a key (keys are scoped per sender: one partition holds them all).
    private async Task<IReadOnlyList<TableEntity>> LedgerEntriesAsync(string key, CancellationToken cancellationToken)
    {
        var entries = new List<TableEntity>();
        try
        {
            await foreach (var entry in ledger.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {RelayLedgerSchema.PartitionOf(key)}"), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                entries.Add(entry);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No ledger yet: nothing was sent.
        }

        return entries;
    }

    private async Task<string> OriginalTextAsync(RelayFailure failure, CancellationToken cancellationToken)
    {
        if (failure.OriginalMessage is { } text)
        {
            return text;
        }

        if (failure.OriginalMessageBlob is { } name)
        {
            if (!RelayBlobStore.IsDeadLetterCopyName(name))
            {
                throw new RelayInspectionException(RelayInspectionError.NotResendable, $"'{name}' is not the name of a dead-letter copy (failed/<id>.txt): there is nothing to re-send.", failure);
            }

            try
            {
                return await blobs.ReadDeadLetterCopyAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                throw new RelayInspectionException(RelayInspectionError.NotResendable, $"The blob '{name}' holding the original message does not exist: there is nothing to re-send.", failure, ex);
            }
        }

        throw new RelayInspectionException(RelayInspectionError.NotResendable, "The failure holds no readable original message (a poison message that is not Base64 text): there is nothing to re-send.", failure);
    }

    // Receives the record (hidden from other operators for a minute) so that it can be deleted.
    private async Task<HeldRecord> HoldAsync(RelayFailure failure, CancellationToken cancellationToken)
    {
        var client = failure.RecordQueue == poison.Name ? poison : failure.RecordQueue == failed.Name ? failed : null;
        if (client is null || failure.Queue != queue.Name)
        {
            throw new ArgumentException($"The failure belongs to relay queue '{failure.Queue}' ({failure.RecordQueue}), not to '{queue.Name}'.", nameof(failure));
        }

        var others = new List<QueueMessage>();
        try
        {
            while (true)
            {
                QueueMessage[] batch;
                try
                {
                    batch = (await client.ReceiveMessagesAsync(PeekLimit, HoldVisibility, cancellationToken).ConfigureAwait(false)).Value;
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    batch = Array.Empty<QueueMessage>();
                }

                if (batch.Length == 0)
                {
                    throw new RelayInspectionException(RelayInspectionError.FailureNotFound, $"The record {failure.RecordId} is no longer in {failure.RecordQueue}: it was re-sent or removed already (or another operator holds it right now).", failure);
                }

                foreach (var message in batch)
                {
                    if (message.MessageId == failure.RecordId)
                    {
                        others.AddRange(batch.Where(m => m.MessageId != failure.RecordId));
                        return new HeldRecord(client, message.MessageId, message.PopReceipt);
                    }
                }

                others.AddRange(batch);
            }
        }
        finally
        {
            await ReleaseAsync(client, others).ConfigureAwait(false);
        }
    }

    private static async Task ReleaseAsync(QueueClient client, IEnumerable<QueueMessage> messages)
    {
        foreach (var message in messages)
        {
            try
            {
                await client.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Deleted meanwhile by someone else.
            }
        }
    }

    private async Task<IReadOnlyList<RelayFailure>> ReadFailuresAsync(RelayFailureFilter? filter, CancellationToken cancellationToken)
    {
        var all = new List<RelayFailure>();
        foreach (var message in await ReadAllAsync(failed, cancellationToken).ConfigureAwait(false))
        {
            all.Add(FromRecord(message));
        }

        foreach (var message in await ReadAllAsync(poison, cancellationToken).ConfigureAwait(false))
        {
            all.Add(FromPoison(message));
        }

        return all.Where(f => filter?.Matches(f) ?? true).OrderBy(f => f.FailedAt).ToList();
    }

    // Peeks when Storage can show all (32), else receives every message for 30 s and makes them visible again.
    private static async Task<List<StoredMessage>> ReadAllAsync(QueueClient client, CancellationToken cancellationToken)
    {
        var count = await CountAsync(client, cancellationToken).ConfigureAwait(false);
        if (count == 0)
        {
            return new List<StoredMessage>();
        }

        if (count <= PeekLimit)
        {
            var peeked = (await client.PeekMessagesAsync(PeekLimit, cancellationToken).ConfigureAwait(false)).Value;
            return peeked.Select(m => new StoredMessage(m.MessageId, m.Body.ToString(), m.DequeueCount, m.InsertedOn, m.ExpiresOn)).ToList();
        }

        var received = new List<QueueMessage>();
        try
        {
            while (true)
            {
                var batch = (await client.ReceiveMessagesAsync(PeekLimit, ScanVisibility, cancellationToken).ConfigureAwait(false)).Value;
                if (batch.Length == 0)
                {
                    break;
                }

                received.AddRange(batch);
            }
        }
        finally
        {
            await ReleaseAsync(client, received).ConfigureAwait(false);
        }

        // Receiving counted one more dequeue: report the count as it was.
        return received.Select(m => new StoredMessage(m.MessageId, m.Body.ToString(), m.DequeueCount - 1, m.InsertedOn, m.ExpiresOn)).ToList();
    }

    private RelayFailure FromRecord(StoredMessage message)
    {
        DeadLetterRecord? record = null;
        if (DecodeBase64(message.Body) is { } json)
        {
            try
            {
                record = RelayEnvelopeFormat.DeserializeRecord(json);
            }
            catch (System.Text.Json.JsonException)
            {
                // Not a record the relay wrote.
            }
        }

        if (record is null)
        {
            return new RelayFailure
            {
                Queue = queue.Name,
                Kind = "Unreadable",
                Reason = "a message in the dead-letter queue that is not a relay record",
                FailedAt = message.InsertedOn ?? default,
                RecordQueue = failed.Name,
                RecordId = message.Id,
                ExpiresOn = message.ExpiresOn,
            };
        }

        var blobNames = TryReadEnvelope(record.OriginalMessage, out _) is { } envelope ? RelayBlobStore.BlobNamesOf(envelope).ToList() : new List<string>();
        if (record.OriginalMessageBlob is { } copy && RelayBlobStore.IsDeadLetterCopyName(copy))
        {
            blobNames.Add(copy);
        }

        return new RelayFailure
        {
            Queue = queue.Name,
            Kind = record.Kind,
            Reason = record.Reason,
            StatusCode = record.StatusCode,
            Attempts = record.Attempts,
            FailedAt = record.FailedAt,
            MessageId = record.MessageId,
            IdempotencyKey = record.IdempotencyKey,
            EnvelopeId = record.EnvelopeId,
            From = record.From,
            Subject = record.Subject,
            Enqueuer = record.Enqueuer,
            OriginalQueueMessageId = record.QueueMessageId,
            RecordQueue = failed.Name,
            RecordId = message.Id,
            ExpiresOn = message.ExpiresOn,
            Blobs = blobNames,
            OriginalMessage = record.OriginalMessage,
            OriginalMessageBlob = record.OriginalMessageBlob,
        };
    }

    private RelayFailure FromPoison(StoredMessage message)
    {
        var text = DecodeBase64(message.Body);
        var envelope = TryReadEnvelope(text, out _);
        var reason = text is null
            ? "the platform could not decode the message (not Base64): moved to the poison queue without a reason"
            : envelope is null
                ? "moved to the poison queue by the platform; its text is not a relay envelope"
                : "moved to the poison queue by the platform after its last delivery failed unexpectedly (see the relay's logs)";
        return new RelayFailure
        {
            Queue = queue.Name,
            Kind = RelayFailure.PoisonKind,
            Reason = reason,
            Attempts = message.DequeueCount,
            FailedAt = message.InsertedOn ?? default,
            MessageId = envelope?.MessageId,
            IdempotencyKey = envelope?.IdempotencyKey,
            EnvelopeId = envelope?.Id,
            From = envelope?.From,
            Subject = envelope?.Subject,
            Enqueuer = envelope?.Enqueuer,
            RecordQueue = poison.Name,
            RecordId = message.Id,
            ExpiresOn = message.ExpiresOn,
            Blobs = envelope is null ? Array.Empty<string>() : RelayBlobStore.BlobNamesOf(envelope),
            OriginalMessage = text,
        };
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

    private sealed record StoredMessage(string Id, string Body, long DequeueCount, DateTimeOffset? InsertedOn, DateTimeOffset? ExpiresOn);

    private sealed record HeldRecord(QueueClient Queue, string Id, string PopReceipt);
}
