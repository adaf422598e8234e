using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Data.Tables;

namespace SmtpOps.Relay;

// Where a message is (Find-SmtpRelayMessage).
public sealed partial class RelayQueueInspector
{
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

            var isPoison = failure.Kind == RelayFailureKind.Poison;
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
                        MessageId = entry.GetString(RelayLedgerSchema.MessageId) ?? found.Select(f => f.MessageId).FirstOrDefault(m => m is not null) ?? (string.Equals(key, messageIdOrKey, StringComparison.Ordinal) ? null : bare),
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
}
