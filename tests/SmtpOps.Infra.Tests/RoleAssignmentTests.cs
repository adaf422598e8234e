using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Infra.Tests.Deployment;
using SmtpOps.Infra.Tests.Roles;
using Xunit;

namespace SmtpOps.Infra.Tests;

/// <summary>
/// The identity's role assignments against what the relay and the Functions host do: every data operation in
/// <see cref="RequiredPermission"/> is granted on the resource it touches, and nothing but the known data roles is
/// assigned (no role that can list account keys).
/// </summary>
public sealed class RoleAssignmentTests : IClassFixture<CompiledTemplate>
{
    private readonly CompiledTemplate template;

    public RoleAssignmentTests(CompiledTemplate template) => this.template = template;

    public static TheoryData<string> Modes => new() { "ManagedIdentity", "Password" };

    [Theory]
    [MemberData(nameof(Modes))]
    public void TheIdentityMayDoEverythingTheRelayAndTheHostDo(string mode)
    {
        var deployment = Deploy(mode);
        var scopes = new Dictionary<string, string>
        {
            ["storage"] = deployment.Single("Microsoft.Storage/storageAccounts").Id,
            ["insights"] = deployment.Single("Microsoft.Insights/components").Id,
        };
        var required = RequiredPermission.Storage.Append(RequiredPermission.Telemetry).ToList();
        if (mode == "Password")
        {
            scopes["vault"] = deployment.Single("Microsoft.KeyVault/vaults").Id;
            required.Add(RequiredPermission.SecretRead);
        }

        var assignments = IdentityAssignments(deployment);
        var missing = required
            .Where(need => !need.AnyOf.Any(set => set.All(permission => assignments.Any(a => ScopeCovers(a.Scope, scopes[need.Resource]) && a.Role.Grants(permission)))))
            .Select(need => need.Operation)
            .ToList();

        Assert.True(missing.Count == 0, "Not granted to the identity: " + string.Join("; ", missing));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void OnlyDataRolesAreAssignedAndNoneCanReadAccountKeys(string mode)
    {
        var deployment = Deploy(mode, ("operatorPrincipalId", "99999999-0000-0000-0000-000000000001"));
        var roleIds = deployment.OfType("Microsoft.Authorization/roleAssignments").Select(a => (string)a.Get("properties", "roleDefinitionId")!).ToList();

        Assert.NotEmpty(roleIds);
        Assert.All(roleIds, id => Assert.True(BuiltInRole.Find(id) is not null, $"{id} is not one of the data roles the relay needs"));
        Assert.All(roleIds, id => Assert.False(BuiltInRole.Find(id)!.Grants("Microsoft.Storage/storageAccounts/listkeys/action"), id));
    }

    [Fact]
    public void TheSecretsRoleIsOnlyThereWhenThereIsASecret()
    {
        var roles = IdentityAssignments(Deploy("ManagedIdentity")).Select(a => a.Role.Name);

        Assert.DoesNotContain("Key Vault Secrets User", roles);
    }

    [Fact]
    public void AnOperatorGetsTheDataRolesOfTheOperationsCmdletsOnlyWhenNamed()
    {
        const string Operator = "99999999-0000-0000-0000-000000000001";
        var none = Deploy("ManagedIdentity").OfType("Microsoft.Authorization/roleAssignments").Where(a => (string?)a.Get("properties", "principalId") == Operator);
        var named = Deploy("ManagedIdentity", ("operatorPrincipalId", Operator)).OfType("Microsoft.Authorization/roleAssignments")
            .Where(a => (string?)a.Get("properties", "principalId") == Operator)
            .Select(a => BuiltInRole.Find((string)a.Get("properties", "roleDefinitionId")!)!.Name)
            .Order();

        Assert.Empty(none);
        Assert.Equal(new[] { "Storage Blob Data Contributor", "Storage Queue Data Contributor", "Storage Table Data Contributor" }, named);
    }

    private static bool ScopeCovers(string scope, string resource)
        => resource.Equals(scope, StringComparison.OrdinalIgnoreCase) || resource.StartsWith(scope + "/", StringComparison.OrdinalIgnoreCase);

    private static List<(string Scope, BuiltInRole Role)> IdentityAssignments(RelayDeployment deployment)
        => deployment.OfType("Microsoft.Authorization/roleAssignments")
            .Where(a => (string?)a.Get("properties", "principalId") == RelayDeployment.IdentityPrincipalId)
            .Select(a => ((string)a.Get("scope")!, BuiltInRole.Find((string)a.Get("properties", "roleDefinitionId")!) ?? throw new InvalidOperationException($"Unknown role {a.Get("properties", "roleDefinitionId")}")))
            .ToList();

    private RelayDeployment Deploy(string mode, params (string Name, object? Value)[] changes)
        => new(template, mode == "Password" ? RelayDeployment.PasswordParameters(changes) : RelayDeployment.ManagedIdentityParameters(changes));
}
