using System.Collections.Generic;

namespace SmtpOps.Infra.Tests.Roles;

/// <summary>
/// A data operation the relay or the Functions host performs, with the permissions Azure Storage (or Key Vault, Azure
/// Monitor) checks for it ("Authorize with Microsoft Entra ID", permissions for Blob, Queue and Table service
/// operations): any one of <see cref="AnyOf"/>, each a set of permissions that are all needed.
/// </summary>
/// <param name="Operation">What is done and by which code.</param>
/// <param name="Resource">Which resource the permission is needed on: storage, vault or insights.</param>
/// <param name="AnyOf">The alternative permission sets.</param>
internal sealed record RequiredPermission(string Operation, string Resource, IReadOnlyList<string[]> AnyOf)
{
    private const string Blob = "Microsoft.Storage/storageAccounts/blobServices/containers";
    private const string Queue = "Microsoft.Storage/storageAccounts/queueServices/queues";
    private const string Table = "Microsoft.Storage/storageAccounts/tableServices/tables";

    /// <summary>Gets what the relay (functions/SmtpOps.Relay.*) and the Functions host do in the Storage account.</summary>
    public static IReadOnlyList<RequiredPermission> Storage { get; } = new[]
    {
        // Queues: the relay queue (trigger), <queue>-failed (RelayProcessor), <queue>-poison (the host).
        Of("Get Messages: the queue trigger receives", $"{Queue}/messages/process/action", $"{Queue}/messages/read+{Queue}/messages/delete"),
        Of("Delete Message: the host after a sent, duplicate or dead-lettered message", $"{Queue}/messages/process/action", $"{Queue}/messages/delete"),
        Of("Update Message: RelayQueueHandler postpones a retry (UpdateMessageAsync)", $"{Queue}/messages/write"),
        Of("Put Message: RelayProcessor's dead-letter record in <queue>-failed; the host's poison copy", $"{Queue}/messages/add/action", $"{Queue}/messages/write"),
        Of("Create Queue: <queue>-failed (CreateIfNotExists), <queue>-poison (the host)", $"{Queue}/write"),
        Of("Get Queue Metadata: RelayStartupCheck, the scale controller's queue length", $"{Queue}/read"),

        // Blobs: <queue>-attachments (claim checks) and the host's containers and deployment package.
        Of("Create Container: <queue>-attachments (CreateIfNotExists), the host's containers", $"{Blob}/write"),
        Of("Get Blob: claim-checked content, the deployment package", $"{Blob}/blobs/read"),
        Of("Put Blob: a dead letter's original (UploadAsync), the host's leases and keys", $"{Blob}/blobs/write", $"{Blob}/blobs/add/action"),
        Of("Delete Blob: claim checks after the 250", $"{Blob}/blobs/delete"),

        // Table: the idempotency ledger (IdempotencyLedger).
        Of("Create Table: the ledger (CreateIfNotExists)", $"{Table}/write"),
        Of("Insert Entity: claim the idempotency key (AddEntityAsync)", $"{Table}/entities/write", $"{Table}/entities/add/action"),
        Of("Query Entities: GetEntityIfExistsAsync", $"{Table}/entities/read"),
        Of("Update Entity: take over a stale claim (UpdateEntityAsync with ETag)", $"{Table}/entities/write", $"{Table}/entities/update/action"),
        Of("Insert Or Replace Entity: mark sent (UpsertEntityAsync Replace)", $"{Table}/entities/write", $"{Table}/entities/add/action+{Table}/entities/update/action"),
        Of("Delete Entity: release a claim", $"{Table}/entities/delete"),
    };

    /// <summary>Gets what the app does with Application Insights (telemetry with Entra authentication).</summary>
    public static RequiredPermission Telemetry { get; } = new("Send telemetry with Entra authentication", "insights", new[] { new[] { "Microsoft.Insights/Telemetry/Write" } });

    /// <summary>Gets what the app does with Key Vault in Password mode (resolve the Key Vault reference).</summary>
    public static RequiredPermission SecretRead { get; } = new("Resolve the smarthost password's Key Vault reference", "vault", new[] { new[] { "Microsoft.KeyVault/vaults/secrets/getSecret/action" } });

    private static RequiredPermission Of(string operation, params string[] alternatives)
        => new(operation, "storage", System.Array.ConvertAll(alternatives, a => a.Split('+')));
}
