using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Infra.Tests.Deployment;
using SmtpOps.Relay;
using Xunit;

namespace SmtpOps.Infra.Tests;

/// <summary>The resources functions/infra/main.bicep deploys: no key anywhere, the relay's Storage named as the relay names it on its own account, the Function on Flex Consumption.</summary>
public sealed class TemplateResourceTests : IClassFixture<CompiledTemplate>
{
    private readonly CompiledTemplate template;

    public TemplateResourceTests(CompiledTemplate template) => this.template = template;

    [Theory]
    [InlineData("listKeys")]
    [InlineData("listAccountSas")]
    [InlineData("listServiceSas")]
    [InlineData("listConnectionStrings")]
    [InlineData("AccountKey")]
    [InlineData("DefaultEndpointsProtocol")]
    [InlineData("SharedAccessSignature")]
    [InlineData("StorageAccountConnectionString")]
    public void NoAccountKeyOrKeyedConnectionStringAppearsInTheTemplate(string keyed)
        => Assert.DoesNotContain(keyed, template.Text, StringComparison.OrdinalIgnoreCase);

    [Fact]
    public void BothStorageAccountsRefuseSharedKeysAndAnonymousAccess()
    {
        var accounts = new RelayDeployment(template, RelayDeployment.ManagedIdentityParameters()).OfType("Microsoft.Storage/storageAccounts").ToList();

        Assert.Equal(2, accounts.Count);
        Assert.All(accounts, storage =>
        {
            Assert.Equal(false, storage.Get("properties", "allowSharedKeyAccess"));
            Assert.Equal(false, storage.Get("properties", "allowBlobPublicAccess"));
            Assert.Equal(true, storage.Get("properties", "defaultToOAuthAuthentication"));
            Assert.Equal("TLS1_2", storage.Get("properties", "minimumTlsVersion"));
            Assert.True(storage.Name.Length is >= 3 and <= 24 && storage.Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)), $"{storage.Name} is not a valid Storage account name");
        });
    }

    [Theory]
    [InlineData("smtpops-relay")]
    [InlineData("mail-out-2")]
    [InlineData("a-very-long-relay-queue-name-for-the-reports-of-x9")]
    public void TheQueuesContainerAndTableAreTheOnesTheRelayUsesAllOnTheDataAccount(string queueName)
    {
        var deployment = new RelayDeployment(template, RelayDeployment.ManagedIdentityParameters(("relayQueueName", queueName)));
        var data = deployment.DataAccount().Id;
        var container = deployment.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").Single(c => c.Name == RelayStorage.AttachmentContainerName(queueName));

        Assert.Equal(queueName, deployment.AppSettings()["Relay__QueueName"]);
        Assert.Equal(new[] { queueName, RelayStorage.FailedQueueName(queueName), RelayStorage.PoisonQueueName(queueName) }.Order(), deployment.OfType("Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => q.Name).Order());
        Assert.All(deployment.OfType("Microsoft.Storage/storageAccounts/queueServices/queues"), q => Assert.StartsWith(data + "/", q.Id, StringComparison.Ordinal));
        Assert.StartsWith(data + "/", container.Id, StringComparison.Ordinal);
        Assert.Equal(RelayStorage.LedgerTableName(queueName), deployment.Single("Microsoft.Storage/storageAccounts/tableServices/tables").Name);
        Assert.StartsWith(data + "/", deployment.Single("Microsoft.Storage/storageAccounts/tableServices/tables").Id, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFunctionRunsOnFlexConsumptionWithDotnetIsolated10AndOneInstanceByDefault()
    {
        var deployment = new RelayDeployment(template, RelayDeployment.ManagedIdentityParameters());
        var plan = deployment.Single("Microsoft.Web/serverfarms");
        var site = deployment.Single("Microsoft.Web/sites");
        var identity = deployment.Single("Microsoft.ManagedIdentity/userAssignedIdentities");
        var storage = deployment.HostAccount();

        Assert.Equal("FC1", plan.Get("sku", "name"));
        Assert.Equal("FlexConsumption", plan.Get("sku", "tier"));
        Assert.Equal("dotnet-isolated", site.Get("properties", "functionAppConfig", "runtime", "name"));
        Assert.Equal("10.0", site.Get("properties", "functionAppConfig", "runtime", "version"));
        Assert.Equal(1L, site.Get("properties", "functionAppConfig", "scaleAndConcurrency", "maximumInstanceCount"));
        Assert.Equal("relay", ((Dictionary<string, object?>)site.Get("tags")!)["azd-service-name"]);
        Assert.Equal("UserAssigned", site.Get("identity", "type"));
        Assert.Contains(identity.Id, ((Dictionary<string, object?>)site.Get("identity", "userAssignedIdentities")!).Keys);

        // The deployment package: a container of the host's account (never the relay's data account), read with the
        // identity (no connection string).
        var container = (string)site.Get("properties", "functionAppConfig", "deployment", "storage", "value")!;
        var containerName = container[(container.LastIndexOf('/') + 1)..];
        Assert.StartsWith($"https://{storage.Name}.blob.core.windows.net/", container, StringComparison.Ordinal);
        Assert.NotEqual(deployment.DataAccount().Name, storage.Name);
        Assert.Contains($"{storage.Id}/blobServices/default/containers/{containerName}", deployment.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").Select(c => c.Id));
        Assert.Equal("UserAssignedIdentity", site.Get("properties", "functionAppConfig", "deployment", "storage", "authentication", "type"));
        Assert.Equal(identity.Id, site.Get("properties", "functionAppConfig", "deployment", "storage", "authentication", "userAssignedIdentityResourceId"));
    }

    [Fact]
    public void TheAzdParameterFileGivesOnlyParametersTheTemplateHas()
    {
        var file = System.Text.Json.Nodes.JsonNode.Parse(System.IO.File.ReadAllText(System.IO.Path.Combine(CompiledTemplate.RepositoryRoot, "functions", "infra", "main.parameters.json")))!;
        var given = file["parameters"]!.AsObject().Select(p => p.Key).ToList();

        Assert.Contains("allowedSenders", given);
        Assert.All(given, name => Assert.True(template.Json["parameters"]![name] is not null, $"main.parameters.json gives '{name}', which main.bicep does not declare"));
    }

    [Fact]
    public void RaisingTheInstanceCapIsOneParameter()
    {
        var site = new RelayDeployment(template, RelayDeployment.ManagedIdentityParameters(("maximumInstanceCount", 4L))).Single("Microsoft.Web/sites");

        Assert.Equal(4L, site.Get("properties", "functionAppConfig", "scaleAndConcurrency", "maximumInstanceCount"));
    }
}
