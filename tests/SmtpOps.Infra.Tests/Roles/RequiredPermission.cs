using System.Collections.Generic;

namespace SmtpOps.Infra.Tests.Roles;

/// <summary>
/// A data operation the relay or the Functions host performs, with the permissions Azure Storage (or Key Vault, Azure
/// Monitor) checks for it ("Authorize with Microsoft Entra ID", permissions for Blob, Queue and Table service
/// operations): any one of <see cref="AnyOf"/>, each a set of permissions that are all needed.
/// </summary>
/// <param name="Operation">What is done and by which code.</param>
/// <param name="Resource">Which resource the permission is needed on: one of the <c>On*</c> names of this type.</param>
/// <param name="AnyOf">The alternative permission sets.</param>
internal sealed record RequiredPermission(string Operation, string Resource, IReadOnlyList<string[]> AnyOf)
{
    /// <summary>The relay queue, on the data account.</summary>
    public const string OnRelayQueue = "relay queue";

    /// <summary><c>&lt;queue&gt;-failed</c>, on the data account.</summary>
    public const string OnFailedQueue = "failed queue";

    /// <summary><c>&lt;queue&gt;-poison</c>, on the data account.</summary>
    public const string OnPoisonQueue = "poison queue";

    /// <summary><c>&lt;queue&gt;-attachments</c>, on the data account.</summary>
    public const string OnAttachments = "attachments container";

    /// <summary>The idempotency ledger table, on the data account.</summary>
    public const string OnLedger = "ledger table";

    /// <summary>The Functions host's own account (AzureWebJobsStorage).</summary>
    public const string OnHostAccount = "host account";

    /// <summary>Application Insights.</summary>
    public const string OnInsights = "insights";

    /// <summary>The Key Vault (Password mode).</summary>
    public const string OnVault = "vault";

    private const string Blob = "Microsoft.Storage/storageAccounts/blobServices/containers";
    private const string Queue = "Microsoft.Storage/storageAccounts/queueServices/queues";
    private const string Table = "Microsoft.Storage/storageAccounts/tableServices/tables";

    /// <summary>Gets what the relay (functions/SmtpOps.Relay.*) and the queue trigger do with the relay's data, each on the queue, container or table it touches.</summary>
    public static IReadOnlyList<RequiredPermission> RelayData { get; } = new[]
    {
        // The relay queue: the trigger, the relay's backoff, the start-up check.
        Of(OnRelayQueue, "Get Messages: the queue trigger receives", $"{Queue}/messages/process/action", $"{Queue}/messages/read+{Queue}/messages/delete"),
        Of(OnRelayQueue, "Delete Message: the host after a sent, duplicate or dead-lettered message", $"{Queue}/messages/process/action", $"{Queue}/messages/delete"),
        Of(OnRelayQueue, "Update Message: RelayQueueHandler postpones a retry (UpdateMessageAsync)", $"{Queue}/messages/write"),
        Of(OnRelayQueue, "Get Queue Metadata: RelayStartupCheck, the scale controller's queue length", $"{Queue}/read"),

        // <queue>-failed: RelayProcessor's dead-letter records.
        Of(OnFailedQueue, "Create Queue: <queue>-failed (CreateIfNotExists)", $"{Queue}/write"),
        Of(OnFailedQueue, "Put Message: RelayProcessor's dead-letter record", $"{Queue}/messages/add/action", $"{Queue}/messages/write"),

        // <queue>-poison: the host's poison copies, on the trigger's connection (RelayStorage).
        Of(OnPoisonQueue, "Create Queue: <queue>-poison (the host, CreateIfNotExists)", $"{Queue}/write"),
        Of(OnPoisonQueue, "Put Message: the host's poison copy", $"{Queue}/messages/add/action", $"{Queue}/messages/write"),

        // <queue>-attachments: claim checks.
        Of(OnAttachments, "Create Container: <queue>-attachments (CreateIfNotExists)", $"{Blob}/write"),
        Of(OnAttachments, "Get Blob / Get Blob Properties: claim-checked content", $"{Blob}/blobs/read"),
        Of(OnAttachments, "Put Blob: a dead letter's original (UploadAsync)", $"{Blob}/blobs/write", $"{Blob}/blobs/add/action"),
        Of(OnAttachments, "Delete Blob: claim checks after the 250", $"{Blob}/blobs/delete"),

        // The idempotency ledger (IdempotencyLedger).
        Of(OnLedger, "Create Table: the ledger (CreateIfNotExists)", $"{Table}/write"),
        Of(OnLedger, "Insert Entity: claim the idempotency key (AddEntityAsync)", $"{Table}/entities/write", $"{Table}/entities/add/action"),
        Of(OnLedger, "Query Entities: GetEntityIfExistsAsync", $"{Table}/entities/read"),
        Of(OnLedger, "Update Entity: take over a stale claim (UpdateEntityAsync with ETag)", $"{Table}/entities/write", $"{Table}/entities/update/action"),
        Of(OnLedger, "Insert Or Replace Entity: mark sent (UpsertEntityAsync Replace)", $"{Table}/entities/write", $"{Table}/entities/add/action+{Table}/entities/update/action"),
        Of(OnLedger, "Delete Entity: release a claim", $"{Table}/entities/delete"),
    };

    /// <summary>
    /// Gets what the Functions host does in its own account (AzureWebJobsStorage; Microsoft's "Connecting to host
    /// storage with an identity": Storage Blob Data Owner, and Storage Table Data Contributor for diagnostic events).
    /// </summary>
    public static IReadOnlyList<RequiredPermission> Host { get; } = new[]
    {
        Of(OnHostAccount, "Create Container: the host's containers (azure-webjobs-hosts, azure-webjobs-secrets)", $"{Blob}/write"),
        Of(OnHostAccount, "Get Blob: the deployment package, the host keys", $"{Blob}/blobs/read"),
        Of(OnHostAccount, "Put Blob / Lease Blob: the host's leases and keys", $"{Blob}/blobs/write"),
        Of(OnHostAccount, "Delete Blob: the host's expired keys and locks", $"{Blob}/blobs/delete"),
        Of(OnHostAccount, "Create Table: the host's diagnostic events", $"{Table}/write"),
        Of(OnHostAccount, "Insert Entity: a diagnostic event", $"{Table}/entities/write", $"{Table}/entities/add/action"),
    };

    /// <summary>Gets what the app does with Application Insights (telemetry with Entra authentication).</summary>
    public static RequiredPermission Telemetry { get; } = new("Send telemetry with Entra authentication", OnInsights, new[] { new[] { "Microsoft.Insights/Telemetry/Write" } });

    /// <summary>Gets what the app does with Key Vault in Password mode (resolve the Key Vault reference).</summary>
    public static RequiredPermission SecretRead { get; } = new("Resolve the smarthost password's Key Vault reference", OnVault, new[] { new[] { "Microsoft.KeyVault/vaults/secrets/getSecret/action" } });

    private static RequiredPermission Of(string resource, string operation, params string[] alternatives)
        => new(operation, resource, System.Array.ConvertAll(alternatives, a => a.Split('+')));
}
