using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Infra.Tests.Roles;

/// <summary>
/// The Azure built-in roles the template may assign, with their permissions as Microsoft's built-in roles reference
/// lists them (actions and data actions; a trailing * is a wildcard). A role not in this list fails the tests: the
/// identity is meant to hold data roles only, never one that can read account keys.
/// </summary>
/// <param name="Name">The role's name.</param>
/// <param name="Id">The role definition's id (the same in every tenant).</param>
/// <param name="Permissions">Its actions and data actions.</param>
internal sealed record BuiltInRole(string Name, string Id, IReadOnlyList<string> Permissions)
{
    private const string Blob = "Microsoft.Storage/storageAccounts/blobServices";
    private const string Queue = "Microsoft.Storage/storageAccounts/queueServices";
    private const string Table = "Microsoft.Storage/storageAccounts/tableServices";

    /// <summary>Gets the roles the template may assign.</summary>
    public static IReadOnlyList<BuiltInRole> Known { get; } = new[]
    {
        new BuiltInRole("Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", new[]
        {
            $"{Blob}/containers/*", $"{Blob}/generateUserDelegationKey/action", $"{Blob}/containers/blobs/*",
        }),
        new BuiltInRole("Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe", new[]
        {
            $"{Blob}/containers/delete", $"{Blob}/containers/read", $"{Blob}/containers/write", $"{Blob}/generateUserDelegationKey/action",
            $"{Blob}/containers/blobs/delete", $"{Blob}/containers/blobs/read", $"{Blob}/containers/blobs/write", $"{Blob}/containers/blobs/move/action", $"{Blob}/containers/blobs/add/action",
        }),
        new BuiltInRole("Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", new[]
        {
            $"{Queue}/queues/delete", $"{Queue}/queues/read", $"{Queue}/queues/write",
            $"{Queue}/queues/messages/delete", $"{Queue}/queues/messages/read", $"{Queue}/queues/messages/write", $"{Queue}/queues/messages/process/action",
        }),
        new BuiltInRole("Storage Queue Data Message Sender", "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", new[]
        {
            $"{Queue}/queues/messages/add/action",
        }),
        new BuiltInRole("Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", new[]
        {
            $"{Table}/tables/read", $"{Table}/tables/write", $"{Table}/tables/delete",
            $"{Table}/tables/entities/read", $"{Table}/tables/entities/write", $"{Table}/tables/entities/delete", $"{Table}/tables/entities/add/action", $"{Table}/tables/entities/update/action",
        }),
        new BuiltInRole("Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb", new[]
        {
            "Microsoft.Insights/Register/Action", "Microsoft.Support/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Insights/Metrics/Write", "Microsoft.Insights/Telemetry/Write",
        }),
        // Assigned only with acsEnabled, on the Communication Services resource alone: what sending with an Entra identity needs.
        new BuiltInRole("Communication and Email Service Owner", "09976791-48a7-449e-bb21-39d1a415f350", new[]
        {
            "Microsoft.Communication/CheckNameAvailability/action", "Microsoft.Communication/Locations/OperationStatuses/*", "Microsoft.Communication/Operations/read",
            "Microsoft.Communication/CommunicationServices/*", "Microsoft.Communication/EmailServices/*", "Microsoft.Communication/RegisteredSubscriptions/read",
        }),
        new BuiltInRole("Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6", new[]
        {
            "Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        }),
    };

    /// <summary>Finds a role by its role definition id (the full resource id or the bare GUID).</summary>
    /// <param name="roleDefinitionId">The id.</param>
    /// <returns>The role, or null when it is not one of <see cref="Known"/>.</returns>
    public static BuiltInRole? Find(string roleDefinitionId)
        => Known.SingleOrDefault(r => roleDefinitionId.EndsWith("/" + r.Id, StringComparison.OrdinalIgnoreCase) || roleDefinitionId.Equals(r.Id, StringComparison.OrdinalIgnoreCase));

    /// <summary>Tells whether the role grants a permission.</summary>
    /// <param name="permission">An action or data action.</param>
    /// <returns>Whether one of its permissions is it or a wildcard over it.</returns>
    public bool Grants(string permission)
        => Permissions.Any(p => p.EndsWith("/*", StringComparison.Ordinal)
            ? permission.StartsWith(p[..^1], StringComparison.OrdinalIgnoreCase)
            : permission.Equals(p, StringComparison.OrdinalIgnoreCase));
}
