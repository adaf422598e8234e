using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Infra.Tests.Arm;
using SmtpOps.Infra.Tests.Roles;

namespace SmtpOps.Infra.Tests.Deployment;

/// <summary>
/// functions/infra/main.bicep evaluated for one set of parameters, as Resource Manager would deploy it into a test
/// resource group: the resources that are deployed, the Function App's app settings, the role assignments. What only
/// exists after deployment (an identity's client id, a Storage account's endpoints) is answered as Azure would
/// answer it for that resource, derived from the resource id the template asks about.
/// </summary>
internal sealed class RelayDeployment
{
    /// <summary>The client id the user-assigned identity gets.</summary>
    public const string IdentityClientId = "11111111-2222-3333-4444-555555555555";

    /// <summary>The object id of the user-assigned identity's service principal.</summary>
    public const string IdentityPrincipalId = "66666666-7777-8888-9999-000000000000";

    /// <summary>What Application Insights reports as its connection string (an identifier, not a secret).</summary>
    public const string AppInsightsConnectionString = "InstrumentationKey=00000000-0000-0000-0000-00000000abcd;IngestionEndpoint=https://swedencentral-0.in.applicationinsights.azure.com/";

    private readonly ArmEvaluator evaluator;
    private readonly List<DeployedResource> resources;

    public RelayDeployment(CompiledTemplate template, IReadOnlyDictionary<string, object?> parameters)
    {
        evaluator = new ArmEvaluator(template.Json, parameters, Reference);
        resources = evaluator.Resources()
            .Where(r => evaluator.IsDeployed(r.Resource, r.CopyIndex))
            .Select(r => new DeployedResource(
                r.Resource["type"]!.GetValue<string>(),
                evaluator.ResourceId(r.Resource, r.CopyIndex),
                (Dictionary<string, object?>)evaluator.Evaluate(r.Resource, r.CopyIndex)!))
            .ToList();
    }

    /// <summary>Gets the deployed resources.</summary>
    public IReadOnlyList<DeployedResource> Resources => resources;

    /// <summary>Parameters for OAuth (XOAUTH2) with the managed identity, no secret.</summary>
    /// <param name="changes">Parameters to add or replace.</param>
    /// <returns>The parameters.</returns>
    public static Dictionary<string, object?> ManagedIdentityParameters(params (string Name, object? Value)[] changes)
        => With(new() { ["smarthostAuthentication"] = "ManagedIdentity", ["oauthMailbox"] = "reports@contoso.com", ["allowedSenders"] = "reports@contoso.com, alerts.contoso.com" }, changes);

    /// <summary>Parameters for AUTH PLAIN/LOGIN with the password in Key Vault.</summary>
    /// <param name="changes">Parameters to add or replace.</param>
    /// <returns>The parameters.</returns>
    public static Dictionary<string, object?> PasswordParameters(params (string Name, object? Value)[] changes)
        => With(new() { ["smarthostAuthentication"] = "Password", ["smarthostUserName"] = "relay@contoso.com", ["smarthostPassword"] = SamplePassword, ["allowedSenders"] = "contoso.com", ["smarthostHost"] = "smtp.contoso.com" }, changes);

    /// <summary>Gets the password the Password parameters give.</summary>
    public static string SamplePassword => "sample-password-" + "not-a-secret";

    /// <summary>Gets the one deployed resource of a type.</summary>
    /// <param name="type">The resource type.</param>
    /// <returns>The resource.</returns>
    public DeployedResource Single(string type) => resources.Single(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>Gets the deployed resources of a type.</summary>
    /// <param name="type">The resource type.</param>
    /// <returns>The resources.</returns>
    public IEnumerable<DeployedResource> OfType(string type) => resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>Gets the Function App's app settings (the sites/config resource named appsettings).</summary>
    /// <returns>The settings by name.</returns>
    public IReadOnlyDictionary<string, string> AppSettings()
    {
        var config = OfType("Microsoft.Web/sites/config").Single(r => r.Id.EndsWith("/config/appsettings", StringComparison.OrdinalIgnoreCase));
        var properties = (Dictionary<string, object?>)config.Body["properties"]!;
        return properties.ToDictionary(p => p.Key, p => p.Value as string ?? throw new InvalidOperationException($"App setting {p.Key} is not a string: {p.Value}"), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Gets the Storage account that holds the relay queue (the relay's data account).</summary>
    /// <returns>The account.</returns>
    public DeployedResource DataAccount()
    {
        var queue = (string)Parameter("relayQueueName")!;
        return OfType("Microsoft.Storage/storageAccounts")
            .Single(account => OfType("Microsoft.Storage/storageAccounts/queueServices/queues").Any(q => q.Id.Equals($"{account.Id}/queueServices/default/queues/{queue}", StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>Gets the Storage account that holds the Function App's deployment package (the Functions host's account).</summary>
    /// <returns>The account.</returns>
    public DeployedResource HostAccount()
    {
        var package = (string)Single("Microsoft.Web/sites").Get("properties", "functionAppConfig", "deployment", "storage", "value")!;
        return OfType("Microsoft.Storage/storageAccounts").Single(account => package.StartsWith($"https://{account.Name}.blob.core.windows.net/", StringComparison.Ordinal));
    }

    /// <summary>Gets the role assignments: who, on which resource id, which role.</summary>
    /// <returns>The assignments.</returns>
    public IReadOnlyList<(string PrincipalId, string Scope, BuiltInRole Role, string? PrincipalType)> RoleAssignments()
        => OfType("Microsoft.Authorization/roleAssignments")
            .Select(a => (
                (string)a.Get("properties", "principalId")!,
                (string)a.Get("scope")!,
                BuiltInRole.Find((string)a.Get("properties", "roleDefinitionId")!) ?? throw new InvalidOperationException($"Unknown role {a.Get("properties", "roleDefinitionId")}"),
                (string?)a.Get("properties", "principalType")))
            .ToList();

    /// <summary>Gets a parameter's value.</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The value.</returns>
    public object? Parameter(string name) => evaluator.Parameter(name);

    private static Dictionary<string, object?> With(Dictionary<string, object?> parameters, (string Name, object? Value)[] changes)
    {
        foreach (var (name, value) in changes)
        {
            parameters[name] = value;
        }

        return parameters;
    }

    // What reference(id) returns once the resource exists: derived from the resource's own id, so a setting that
    // points at another account than the template's would show up in the tests.
    private static Dictionary<string, object?> Reference(string id)
    {
        var segments = id.Split('/');
        var type = segments[^2];
        var name = segments[^1];
        return type switch
        {
            "userAssignedIdentities" => Object(("clientId", IdentityClientId), ("principalId", IdentityPrincipalId), ("tenantId", ArmEvaluator.TenantId)),
            "storageAccounts" => Object(("primaryEndpoints", Object(
                ("blob", $"https://{name}.blob.core.windows.net/"),
                ("queue", $"https://{name}.queue.core.windows.net/"),
                ("table", $"https://{name}.table.core.windows.net/"),
                ("file", $"https://{name}.file.core.windows.net/")))),
            "components" => Object(("ConnectionString", AppInsightsConnectionString), ("InstrumentationKey", "00000000-0000-0000-0000-00000000abcd")),
            "vaults" => Object(("vaultUri", $"https://{name}.vault.azure.net/")),
            "communicationServices" => Object(("hostName", $"{name}.communication.azure.com")),
            "domains" => Object(("mailFromSenderDomain", name == "AzureManagedDomain" ? "00000000-0000-0000-0000-0000000000aa.azurecomm.net" : name)),
            _ => throw new NotSupportedException($"The test does not know what reference('{id}') returns: add the resource type to RelayDeployment.Reference."),
        };
    }

    private static Dictionary<string, object?> Object(params (string Key, object? Value)[] properties)
        => properties.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
}
