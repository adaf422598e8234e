using System;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Azure;

namespace SmtpOps.Relay;

// Putting a failure back on the relay queue (Resume-SmtpRelayFailure).
public sealed partial class RelayQueueInspector
{
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

        // The record is held first: a failure re-sent (or removed) before, by this operator or another, is answered
        // FailureNotFound, never with advice to send the mail again from its source.
        await RequireQueueAsync(cancellationToken).ConfigureAwait(false);
        var record = await HoldAsync(failure, cancellationToken).ConfigureAwait(false);
        string text;
        RelayEnvelope envelope;
        try
        {
            (text, envelope) = await ResendableAsync(failure, force, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Nothing changed: the record is visible again for the next operator.
            await record.Queue.UpdateMessageAsync(record.Id, record.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            throw;
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

    // What a held failure re-sends: its original text and envelope, once its blobs are there and the ledger allows it
    // (with force, the key's "sent" entry is removed).
    private async Task<(string Text, RelayEnvelope Envelope)> ResendableAsync(RelayFailure failure, bool force, CancellationToken cancellationToken)
    {
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

        var entry = SenderOf(envelope) is { } sender ? await LedgerEntryAsync(sender, envelope.IdempotencyKey, cancellationToken).ConfigureAwait(false) : null;
        if (entry?.GetString(RelayLedgerSchema.State) == RelayLedgerSchema.Sent)
        {
            if (!force)
            {
                throw new RelayInspectionException(
                    RelayInspectionError.AlreadySent,
                    $"The ledger records idempotency key '{envelope.IdempotencyKey}' as sent{At(entry.GetDateTimeOffset(RelayLedgerSchema.SentAt))} ({entry.GetString(RelayLedgerSchema.Response)}): re-sending would deliver it twice. Use force to send it again anyway.",
                    failure);
            }

            await ledger.DeleteEntityAsync(entry.PartitionKey, entry.RowKey, entry.ETag, cancellationToken).ConfigureAwait(false);
        }

        return (text, envelope);
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
}
