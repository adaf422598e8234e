using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace SmtpOps.Relay;

// Reading the dead-letter and poison records (Get-SmtpRelayFailure), and holding one while it is re-sent or removed.
public sealed partial class RelayQueueInspector
{
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
                Kind = RelayFailureKind.Unreadable,
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
            OperationId = record.OperationId,
            ErrorCode = record.ErrorCode,
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
            Kind = RelayFailureKind.Poison,
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

    private sealed record StoredMessage(string Id, string Body, long DequeueCount, DateTimeOffset? InsertedOn, DateTimeOffset? ExpiresOn);

    private sealed record HeldRecord(QueueClient Queue, string Id, string PopReceipt);
}
