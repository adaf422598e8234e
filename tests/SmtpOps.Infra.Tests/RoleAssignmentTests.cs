using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Infra.Tests.Deployment;
using SmtpOps.Infra.Tests.Roles;
using SmtpOps.Relay;
using Xunit;

namespace SmtpOps.Infra.Tests;

/// <summary>
/// The role assignments against what each principal does: the relay's identity may do every data operation in
/// <see cref="RequiredPermission"/> on the queue, container, table or account it touches; every assignment is scoped
/// to one of the relay's queues, its container or its table on the data account (nothing account-wide there, no Blob
/// Data Owner), the host's account is the identity's alone with the host's roles only, an enqueuer can put messages and
/// upload claim checks and nothing else, and no role can read account keys.
/// </summary>
public sealed class RoleAssignmentTests : IClassFixture<CompiledTemplate>
{
    private const string Operator = "99999999-0000-0000-0000-000000000001";
    private const string Enqueuer1 = "99999999-0000-0000-0000-0000000000e1";
    private const string Enqueuer2 = "99999999-0000-0000-0000-0000000000e2";

    private readonly CompiledTemplate template;

    public RoleAssignmentTests(CompiledTemplate template) => this.template = template;

    public static TheoryData<string> Modes => new() { "ManagedIdentity", "Password" };

    [Theory]
    [MemberData(nameof(Modes))]
    public void TheIdentityMayDoEverythingTheRelayAndTheHostDo(string mode)
    {
        var deployment = Deploy(mode);
        var resources = ResourceIds(deployment);
        var required = RequiredPermission.RelayData.Concat(RequiredPermission.Host).Append(RequiredPermission.Telemetry).ToList();
        if (mode == "Password")
        {
            required.Add(RequiredPermission.SecretRead);
        }

        var assignments = deployment.RoleAssignments().Where(a => a.PrincipalId == RelayDeployment.IdentityPrincipalId).ToList();
        var missing = required
            .Where(need => !need.AnyOf.Any(set => set.All(permission => assignments.Any(a => ScopeCovers(a.Scope, resources[need.Resource]) && a.Role.Grants(permission)))))
            .Select(need => $"{need.Operation} (on the {need.Resource})")
            .ToList();

        Assert.True(missing.Count == 0, "Not granted to the identity: " + string.Join("; ", missing));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void EveryRoleAssignmentIsTheRoleMatrixsPrincipalScopeAndRole(string mode)
    {
        var deployment = Deploy(mode, ("operatorPrincipalId", Operator), ("enqueuerPrincipalIds", $"{Enqueuer1}, ,{Enqueuer2} "));
        var scopes = ResourceIds(deployment).ToDictionary(r => r.Value, r => r.Key, StringComparer.OrdinalIgnoreCase);
        scopes[deployment.DataAccount().Id] = "data account";
        var principals = new Dictionary<string, string> { [RelayDeployment.IdentityPrincipalId] = "identity", [Operator] = "operator", [Enqueuer1] = "enqueuer 1", [Enqueuer2] = "enqueuer 2" };
        var expected = new List<string>
        {
            "identity | host account | Storage Blob Data Owner",
            "identity | host account | Storage Table Data Contributor",
            "identity | relay queue | Storage Queue Data Contributor",
            "identity | failed queue | Storage Queue Data Contributor",
            "identity | poison queue | Storage Queue Data Contributor",
            "identity | attachments container | Storage Blob Data Contributor",
            "identity | ledger table | Storage Table Data Contributor",
            "identity | insights | Monitoring Metrics Publisher",
            "operator | relay queue | Storage Queue Data Contributor",
            "operator | failed queue | Storage Queue Data Contributor",
            "operator | poison queue | Storage Queue Data Contributor",
            "operator | attachments container | Storage Blob Data Contributor",
            "operator | ledger table | Storage Table Data Contributor",
            "enqueuer 1 | relay queue | Storage Queue Data Message Sender",
            "enqueuer 1 | attachments container | Storage Blob Data Contributor",
            "enqueuer 2 | relay queue | Storage Queue Data Message Sender",
            "enqueuer 2 | attachments container | Storage Blob Data Contributor",
        };
        if (mode == "Password")
        {
            expected.Add("identity | vault | Key Vault Secrets User");
        }

        var actual = deployment.RoleAssignments()
            .Select(a => $"{principals.GetValueOrDefault(a.PrincipalId, a.PrincipalId)} | {scopes.GetValueOrDefault(a.Scope, a.Scope)} | {a.Role.Name}")
            .Order(StringComparer.Ordinal);

        Assert.Equal(expected.Order(StringComparer.Ordinal), actual);
    }

    [Fact]
    public void EachPrincipalHasItsKindAndEveryAssignmentItsOwnName()
    {
        var deployment = Deploy("ManagedIdentity", ("operatorPrincipalId", Operator), ("operatorPrincipalType", "Group"), ("enqueuerPrincipalIds", $"{Enqueuer1},{Enqueuer2}"));
        var names = deployment.OfType("Microsoft.Authorization/roleAssignments").Select(a => a.Name).ToList();

        Assert.All(deployment.RoleAssignments(), a => Assert.Equal(a.PrincipalId switch { Operator => "Group", _ => "ServicePrincipal" }, a.PrincipalType));
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void NoPrincipalHoldsBlobDataOwnerOrAnAccountWideRoleOnTheDataAccount(string mode)
    {
        var deployment = Deploy(mode, ("operatorPrincipalId", Operator), ("enqueuerPrincipalIds", Enqueuer1));
        var data = deployment.DataAccount().Id;
        var relayResources = ResourceIds(deployment).Where(r => r.Key != RequiredPermission.OnHostAccount && r.Value.StartsWith(data + "/", StringComparison.OrdinalIgnoreCase)).Select(r => r.Value).ToList();
        var onData = deployment.RoleAssignments().Where(a => ScopeCovers(a.Scope, data) || a.Scope.StartsWith(data + "/", StringComparison.OrdinalIgnoreCase)).ToList();

        Assert.Equal(5, relayResources.Count);
        Assert.NotEmpty(onData);
        Assert.All(onData, a => Assert.True(relayResources.Contains(a.Scope, StringComparer.OrdinalIgnoreCase), $"{a.Role.Name} for {a.PrincipalId} is scoped to {a.Scope}, not to one of the relay's queues, its container or its table"));
        Assert.DoesNotContain(onData, a => a.Role.Name == "Storage Blob Data Owner");

        // Nothing is assigned above a resource (resource group, subscription) either: every scope is a resource of the template.
        var resourceIds = deployment.Resources.Select(r => r.Id).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.All(deployment.RoleAssignments(), a => Assert.Contains(a.Scope, resourceIds));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void TheHostsAccountHoldsNoRelayDataAndOnlyTheIdentityWithTheHostsRoles(string mode)
    {
        var deployment = Deploy(mode, ("operatorPrincipalId", Operator), ("enqueuerPrincipalIds", Enqueuer1));
        var host = deployment.HostAccount().Id;
        var data = deployment.DataAccount().Id;
        var onHost = deployment.RoleAssignments().Where(a => ScopeCovers(a.Scope, host) || a.Scope.StartsWith(host + "/", StringComparison.OrdinalIgnoreCase)).ToList();
        var hostResources = deployment.Resources.Where(r => r.Id.StartsWith(host + "/", StringComparison.OrdinalIgnoreCase)).Select(r => r.Type).Order();

        Assert.NotEqual(host, data, StringComparer.OrdinalIgnoreCase);
        Assert.All(onHost, a => Assert.Equal(RelayDeployment.IdentityPrincipalId, a.PrincipalId));
        Assert.Equal(new[] { "Storage Blob Data Owner", "Storage Table Data Contributor" }, onHost.Select(a => a.Role.Name).Order());
        Assert.All(onHost, a => Assert.Equal(host, a.Scope, StringComparer.OrdinalIgnoreCase));
        Assert.DoesNotContain(onHost, a => a.Role.Name.StartsWith("Storage Queue", StringComparison.Ordinal));
        Assert.Equal(new[] { "Microsoft.Storage/storageAccounts/blobServices", "Microsoft.Storage/storageAccounts/blobServices/containers" }, hostResources);
    }

    [Fact]
    public void AnEnqueuerGetsExactlyMessageSenderOnTheQueueAndBlobContributorOnTheContainer()
    {
        var none = Deploy("ManagedIdentity").RoleAssignments().Where(a => a.Role.Name == "Storage Queue Data Message Sender");
        var deployment = Deploy("ManagedIdentity", ("enqueuerPrincipalIds", $" {Enqueuer1} ,,{Enqueuer2}"));
        var resources = ResourceIds(deployment);
        var queueRead = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/read";

        Assert.Empty(none);
        foreach (var enqueuer in new[] { Enqueuer1, Enqueuer2 })
        {
            var granted = deployment.RoleAssignments().Where(a => a.PrincipalId == enqueuer).Select(a => (a.Scope, a.Role.Name)).OrderBy(a => a.Name, StringComparer.Ordinal);

            Assert.Equal(
                new[] { (resources[RequiredPermission.OnAttachments], "Storage Blob Data Contributor"), (resources[RequiredPermission.OnRelayQueue], "Storage Queue Data Message Sender") },
                granted);
        }

        // What Message Sender leaves out: an enqueuer cannot read, receive, update or delete a queued message.
        var sender = BuiltInRole.Known.Single(r => r.Name == "Storage Queue Data Message Sender");
        Assert.True(sender.Grants("Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action"));
        Assert.All(new[] { queueRead, "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action", "Microsoft.Storage/storageAccounts/queueServices/queues/messages/write", "Microsoft.Storage/storageAccounts/queueServices/queues/messages/delete" }, p => Assert.False(sender.Grants(p), p));
    }

    [Fact]
    public void AnOperatorGetsTheDataRolesOfTheOperationsCmdletsScopedToTheRelaysDataOnlyWhenNamed()
    {
        var none = Deploy("ManagedIdentity").RoleAssignments().Where(a => a.PrincipalId == Operator);
        var deployment = Deploy("ManagedIdentity", ("operatorPrincipalId", Operator));
        var resources = ResourceIds(deployment);
        var named = deployment.RoleAssignments().Where(a => a.PrincipalId == Operator).Select(a => (a.Scope, a.Role.Name)).OrderBy(a => a.Scope, StringComparer.Ordinal);

        Assert.Empty(none);
        Assert.Equal(
            new[]
            {
                (resources[RequiredPermission.OnAttachments], "Storage Blob Data Contributor"),
                (resources[RequiredPermission.OnRelayQueue], "Storage Queue Data Contributor"),
                (resources[RequiredPermission.OnFailedQueue], "Storage Queue Data Contributor"),
                (resources[RequiredPermission.OnPoisonQueue], "Storage Queue Data Contributor"),
                (resources[RequiredPermission.OnLedger], "Storage Table Data Contributor"),
            }.OrderBy(a => a.Item1, StringComparer.Ordinal),
            named);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void OnlyDataRolesAreAssignedAndNoneCanReadAccountKeys(string mode)
    {
        var deployment = Deploy(mode, ("operatorPrincipalId", Operator), ("enqueuerPrincipalIds", Enqueuer1));
        var roleIds = deployment.OfType("Microsoft.Authorization/roleAssignments").Select(a => (string)a.Get("properties", "roleDefinitionId")!).ToList();

        Assert.NotEmpty(roleIds);
        Assert.All(roleIds, id => Assert.True(BuiltInRole.Find(id) is not null, $"{id} is not one of the data roles the relay needs"));
        Assert.All(roleIds, id => Assert.False(BuiltInRole.Find(id)!.Grants("Microsoft.Storage/storageAccounts/listkeys/action"), id));
    }

    [Fact]
    public void TheSecretsRoleIsOnlyThereWhenThereIsASecret()
    {
        var roles = Deploy("ManagedIdentity").RoleAssignments().Where(a => a.PrincipalId == RelayDeployment.IdentityPrincipalId).Select(a => a.Role.Name);

        Assert.DoesNotContain("Key Vault Secrets User", roles);
    }

    private static bool ScopeCovers(string scope, string resource)
        => resource.Equals(scope, StringComparison.OrdinalIgnoreCase) || resource.StartsWith(scope + "/", StringComparison.OrdinalIgnoreCase);

    // The resources the permissions are needed on, found among the deployed ones by the names the relay's code uses.
    private static Dictionary<string, string> ResourceIds(RelayDeployment deployment)
    {
        var queue = (string)deployment.Parameter("relayQueueName")!;
        var data = deployment.DataAccount().Id;
        string Deployed(string type, string id) => deployment.OfType(type).SingleOrDefault(r => r.Id.Equals(id, StringComparison.OrdinalIgnoreCase))?.Id
            ?? throw new InvalidOperationException($"The template deploys no {id}.");
        var ids = new Dictionary<string, string>
        {
            [RequiredPermission.OnRelayQueue] = Deployed("Microsoft.Storage/storageAccounts/queueServices/queues", $"{data}/queueServices/default/queues/{queue}"),
            [RequiredPermission.OnFailedQueue] = Deployed("Microsoft.Storage/storageAccounts/queueServices/queues", $"{data}/queueServices/default/queues/{RelayStorage.FailedQueueName(queue)}"),
            [RequiredPermission.OnPoisonQueue] = Deployed("Microsoft.Storage/storageAccounts/queueServices/queues", $"{data}/queueServices/default/queues/{RelayStorage.PoisonQueueName(queue)}"),
            [RequiredPermission.OnAttachments] = Deployed("Microsoft.Storage/storageAccounts/blobServices/containers", $"{data}/blobServices/default/containers/{RelayStorage.AttachmentContainerName(queue)}"),
            [RequiredPermission.OnLedger] = Deployed("Microsoft.Storage/storageAccounts/tableServices/tables", $"{data}/tableServices/default/tables/{RelayStorage.LedgerTableName(queue)}"),
            [RequiredPermission.OnHostAccount] = deployment.HostAccount().Id,
            [RequiredPermission.OnInsights] = deployment.Single("Microsoft.Insights/components").Id,
        };
        if (deployment.OfType("Microsoft.KeyVault/vaults").Any())
        {
            ids[RequiredPermission.OnVault] = deployment.Single("Microsoft.KeyVault/vaults").Id;
        }

        return ids;
    }

    private RelayDeployment Deploy(string mode, params (string Name, object? Value)[] changes)
        => new(template, mode == "Password" ? RelayDeployment.PasswordParameters(changes) : RelayDeployment.ManagedIdentityParameters(changes));
}
