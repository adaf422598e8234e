using System;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Data.Tables;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// Remembers which idempotency keys were sent, in an Azure Storage table, so that an
/// at-least-once queue does not make an at-least-twice mail. A key is claimed before sending
/// (an insert that fails if the key exists) and marked sent after the smarthost's 250.
/// A claim whose holder died is taken over once its lease expires. One window cannot be closed:
/// a crash after the smarthost accepted the message and before the key is marked sent.
/// Keys are scoped per sender (<see cref="RelayLedgerSchema.Locate"/>): a queue writer who knows another
/// sender's key cannot claim it first and have that sender's mail dropped as a duplicate.
/// </summary>
public sealed class IdempotencyLedger
{
    private const string Sending = RelayLedgerSchema.Sending;
    private const string Sent = RelayLedgerSchema.Sent;

    private readonly TableClient table;
    private readonly TimeSpan lease;
    private bool created;

    /// <summary>Creates the ledger.</summary>
    /// <param name="table">The table (created on first use).</param>
    /// <param name="lease">How long a claim protects a send in progress; longer than one send with all its retries.</param>
    public IdempotencyLedger(TableClient table, TimeSpan lease)
    {
        this.table = table ?? throw new ArgumentNullException(nameof(table));
        this.lease = lease;
    }

    /// <summary>Claims a key before sending.</summary>
    /// <param name="sender">The sender the key is scoped to (the address the policy checked).</param>
    /// <param name="key">The idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether to send.</returns>
    public async Task<LedgerClaim> ClaimAsync(string sender, string key, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var (partition, row) = RelayLedgerSchema.Locate(sender, key);
        try
        {
            await table.AddEntityAsync(new TableEntity(partition, row) { [RelayLedgerSchema.State] = Sending, [RelayLedgerSchema.Key] = key, [RelayLedgerSchema.Sender] = sender, [RelayLedgerSchema.ClaimedAt] = DateTimeOffset.UtcNow }, cancellationToken).ConfigureAwait(false);
            return LedgerClaim.Claimed;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Someone claimed it before: sent, in flight, or abandoned by a crashed instance.
        }

        var existing = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!existing.HasValue)
        {
            return await ClaimAsync(sender, key, cancellationToken).ConfigureAwait(false);
        }

        var entity = existing.Value!;
        if (entity.GetString(RelayLedgerSchema.State) == Sent)
        {
            return LedgerClaim.AlreadySent;
        }

        if (entity.GetDateTimeOffset(RelayLedgerSchema.ClaimedAt) is { } claimedAt && DateTimeOffset.UtcNow - claimedAt < lease)
        {
            return LedgerClaim.InFlight;
        }

        entity[RelayLedgerSchema.ClaimedAt] = DateTimeOffset.UtcNow;
        try
        {
            await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return LedgerClaim.Claimed;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return LedgerClaim.InFlight;
        }
    }

    /// <summary>Records that the smarthost accepted the message.</summary>
    /// <param name="sender">The sender the key is scoped to.</param>
    /// <param name="key">The idempotency key.</param>
    /// <param name="messageId">The Message-ID of the mail sent, so that an operator finds it by that (<c>Find-SmtpRelayMessage</c>).</param>
    /// <param name="response">The smarthost's response, for the operator.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when recorded.</returns>
    public async Task MarkSentAsync(string sender, string key, string? messageId, string response, CancellationToken cancellationToken)
        => await MarkSentAsync(sender, key, messageId, response, operationId: null, cancellationToken).ConfigureAwait(false);

    /// <summary>Records a key as sent, with the Azure Communication Services operation id it was sent under (Relay:Transport Acs).</summary>
    /// <param name="sender">The sender the key is scoped to.</param>
    /// <param name="key">The idempotency key.</param>
    /// <param name="messageId">The Message-ID of the mail sent.</param>
    /// <param name="response">The service's answer.</param>
    /// <param name="operationId">The operation id, or <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when recorded.</returns>
    public async Task MarkSentAsync(string sender, string key, string? messageId, string response, string? operationId, CancellationToken cancellationToken)
    {
        var (partition, row) = RelayLedgerSchema.Locate(sender, key);
        var entity = new TableEntity(partition, row) { [RelayLedgerSchema.State] = Sent, [RelayLedgerSchema.Key] = key, [RelayLedgerSchema.Sender] = sender, [RelayLedgerSchema.MessageId] = messageId, [RelayLedgerSchema.SentAt] = DateTimeOffset.UtcNow, [RelayLedgerSchema.Response] = response };
        if (operationId is not null)
        {
            entity[RelayLedgerSchema.OperationId] = operationId;
        }

        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives a claim up after a failure that certainly sent nothing, so the next delivery may send.</summary>
    /// <param name="sender">The sender the key is scoped to.</param>
    /// <param name="key">The idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when released.</returns>
    public async Task ReleaseAsync(string sender, string key, CancellationToken cancellationToken)
    {
        var (partition, row) = RelayLedgerSchema.Locate(sender, key);
        await table.DeleteEntityAsync(partition, row, ETag.All, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets whether a key is recorded as sent.</summary>
    /// <param name="sender">The sender the key is scoped to.</param>
    /// <param name="key">The idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><c>true</c> when sent.</returns>
    public async Task<bool> WasSentAsync(string sender, string key, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var (partition, row) = RelayLedgerSchema.Locate(sender, key);
        var existing = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
        return existing.HasValue && existing.Value!.GetString(RelayLedgerSchema.State) == Sent;
    }

    private async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (!created)
        {
            try
            {
                await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 403)
            {
                // A role scoped to the table cannot create tables (a request to the table service): the deployment did.
            }

            created = true;
        }
    }
}
