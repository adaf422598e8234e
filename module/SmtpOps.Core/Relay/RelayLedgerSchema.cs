using System;
using System.Security.Cryptography;
using System.Text;

namespace SmtpOps.Relay;

/// <summary>
/// The idempotency ledger's table layout (<see cref="RelayStorage.LedgerTableName"/>): written by the relay, read by
/// <see cref="RelayQueueInspector"/>; one definition so that the two cannot drift apart. One entity per key, at
/// <see cref="Locate"/> (scoped per sender), with <see cref="State"/> <see cref="Sending"/> while a delivery holds it and <see cref="Sent"/>
/// (with <see cref="SentAt"/> and the smarthost's <see cref="Response"/>) once the smarthost accepted the message.
/// </summary>
public static class RelayLedgerSchema
{
    /// <summary>The column with the key's state.</summary>
    public const string State = "State";

    /// <summary>The column with the idempotency key itself.</summary>
    public const string Key = "Key";

    /// <summary>The column with the time a delivery claimed the key.</summary>
    public const string ClaimedAt = "ClaimedAt";

    /// <summary>The column with the time the smarthost accepted the message.</summary>
    public const string SentAt = "SentAt";

    /// <summary>The column with the smarthost's answer.</summary>
    public const string Response = "Response";

    /// <summary>The state of a key that a delivery is sending now.</summary>
    public const string Sending = "Sending";

    /// <summary>The state of a key whose message the smarthost accepted.</summary>
    public const string Sent = "Sent";

    /// <summary>The column with the Message-ID of the mail sent under the key (entries written before it have none).</summary>
    public const string MessageId = "MessageId";

    /// <summary>The column with the Azure Communication Services operation id of the send (Relay:Transport Acs only).</summary>
    public const string OperationId = "OperationId";

    /// <summary>The column with the sender the key is scoped to.</summary>
    public const string Sender = "Sender";

    /// <summary>
    /// Where a key's entity is. Keys are scoped per sender, so that a queue writer who knows another sender's key cannot
    /// claim it first and have that sender's mail dropped as a duplicate: the partition is the key's SHA-256 and the row
    /// the sender address's (upper-case hex; table keys may not contain / \ # ?), so that every sender's entry for one key
    /// is found in one partition (<see cref="PartitionOf"/>).
    /// </summary>
    /// <param name="sender">The envelope's sender address, as the relay's policy checked it (compared case-insensitively).</param>
    /// <param name="idempotencyKey">The idempotency key.</param>
    /// <returns>The partition and row keys.</returns>
    public static (string PartitionKey, string RowKey) Locate(string sender, string idempotencyKey)
    {
        if (sender is null)
        {
            throw new ArgumentNullException(nameof(sender));
        }

        return (PartitionOf(idempotencyKey), Hash(sender.ToLowerInvariant()));
    }

    /// <summary>Gets the partition that holds every sender's entry for a key.</summary>
    /// <param name="idempotencyKey">The idempotency key.</param>
    /// <returns>The partition key.</returns>
    public static string PartitionOf(string idempotencyKey) => Hash(idempotencyKey ?? throw new ArgumentNullException(nameof(idempotencyKey)));

    private static string Hash(string text)
    {
        using var sha = SHA256.Create();
        return BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(text))).Replace("-", string.Empty);
    }
}
