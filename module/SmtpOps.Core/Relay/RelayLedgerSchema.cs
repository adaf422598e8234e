using System;
using System.Security.Cryptography;
using System.Text;

namespace SmtpOps.Relay;

/// <summary>
/// The idempotency ledger's table layout (<see cref="RelayStorage.LedgerTableName"/>): written by the relay, read by
/// <see cref="RelayQueueInspector"/>; one definition so that the two cannot drift apart. One entity per key, at
/// <see cref="Locate"/>, with <see cref="State"/> <see cref="Sending"/> while a delivery holds it and <see cref="Sent"/>
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

    /// <summary>Where a key's entity is: keys are arbitrary text and table keys may not contain / \ # ?, so the row key is the key's SHA-256 (upper-case hex), partitioned by its first two digits.</summary>
    /// <param name="idempotencyKey">The idempotency key.</param>
    /// <returns>The partition and row keys.</returns>
    public static (string PartitionKey, string RowKey) Locate(string idempotencyKey)
    {
        if (idempotencyKey is null)
        {
            throw new ArgumentNullException(nameof(idempotencyKey));
        }

        using var sha = SHA256.Create();
        var hash = BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(idempotencyKey))).Replace("-", string.Empty);
        return (hash.Substring(0, 2), hash);
    }
}
