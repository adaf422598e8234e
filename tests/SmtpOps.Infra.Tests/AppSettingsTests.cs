using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmtpOps.Infra.Tests.Deployment;
using SmtpOps.Relay;
using SmtpOps.Relay.Hosting;
using Xunit;

namespace SmtpOps.Infra.Tests;

/// <summary>
/// The Function App's app settings as the template deploys them, given to the relay's own code: the settings
/// validator the host runs at start-up (through <c>AddSmtpRelay</c>, as Program.cs does) and the maxDequeueCount
/// check against the Function's host.json. What the relay requires is whatever that code requires, not a list here.
/// </summary>
public sealed class AppSettingsTests : IClassFixture<CompiledTemplate>
{
    private readonly CompiledTemplate template;

    public AppSettingsTests(CompiledTemplate template) => this.template = template;

    public static TheoryData<string> Modes => new() { "ManagedIdentity", "Password" };

    [Theory]
    [MemberData(nameof(Modes))]
    public void TheRelaysValidatorFindsNothingMissing(string mode)
    {
        var settings = Deploy(mode).AppSettings();

        var relay = Bind(settings);

        Assert.Equal("smtpops-relay", relay.QueueName);
        Assert.Equal(mode == "Password" ? "smtp.contoso.com" : "smtp.office365.com", relay.Smarthost.Host);
        Assert.Equal(mode == "Password" ? new[] { "contoso.com" } : new[] { "reports@contoso.com", "alerts.contoso.com" }, relay.Policy.AllowedSenders);
        Assert.Equal(mode == "Password" ? OAuthMode.None : OAuthMode.ManagedIdentity, relay.OAuth.Mode);
        if (mode == "ManagedIdentity")
        {
            // XOAUTH2 with the same user-assigned identity that reaches Storage: its service principal gets SMTP.SendAsApp.
            Assert.Equal(RelayDeployment.IdentityClientId, relay.OAuth.ClientId);
            Assert.Equal("reports@contoso.com", relay.OAuth.Mailbox);
            Assert.Null(relay.Smarthost.UserName);
        }
        else
        {
            Assert.Equal("relay@contoso.com", relay.Smarthost.UserName);
        }
    }

    [Theory]
    [InlineData("ManagedIdentity", "Relay__Smarthost__Host", "Relay:Smarthost:Host is not set")]
    [InlineData("ManagedIdentity", "Relay__Policy__AllowedSenders__0", "Relay:Policy:AllowedSenders is empty")]
    [InlineData("ManagedIdentity", "Relay__OAuth__Mailbox", "Relay:OAuth:Mailbox is required")]
    [InlineData("ManagedIdentity", "RelayStorage__tableServiceUri", "RelayStorage is identity-based but does not give every endpoint")]
    [InlineData("Password", "Relay__Smarthost__Password", "Relay:Smarthost:UserName is set but Relay:Smarthost:Password is not")]
    public void ASettingTheTemplateLeftOutWouldStopTheRelay(string mode, string removed, string expected)
    {
        var settings = Deploy(mode, ("allowedSenders", "contoso.com")).AppSettings().Where(s => s.Key != removed).ToDictionary(s => s.Key, s => s.Value);

        var failure = Assert.Throws<OptionsValidationException>(() => Bind(settings));

        Assert.Contains(failure.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    public void TheHostsMaxDequeueCountFollowsMaxAttempts(int maxAttempts)
    {
        var settings = Deploy("ManagedIdentity", ("maxAttempts", (long)maxAttempts)).AppSettings();
        var relay = Bind(settings);
        var hostJson = Path.Combine(AppContext.BaseDirectory, "FunctionHost", "host.json");
        Assert.True(File.Exists(hostJson), "the Function's host.json is linked into the test output");

        Assert.Equal(maxAttempts, relay.MaxAttempts);
        Assert.Equal(maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture), settings["AzureFunctionsJobHost__extensions__queues__maxDequeueCount"]);
        Assert.Null(RelayStartupCheck.CheckMaxDequeueCount(hostJson, relay.MaxAttempts, name => settings.TryGetValue(name, out var value) ? value : null));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void TheRelaysConnectionIsOnTheDataAccountAndTheHostsOnItsOwnBothIdentityBased(string mode)
    {
        var deployment = Deploy(mode);
        var settings = deployment.AppSettings();
        var data = deployment.DataAccount().Name;
        var host = deployment.HostAccount().Name;

        Assert.NotEqual(data, host);
        foreach (var (connection, account, services) in new[] { ("RelayStorage", data, new[] { "blob", "queue", "table" }), ("AzureWebJobsStorage", host, new[] { "blob", "table" }) })
        {
            Assert.False(settings.ContainsKey(connection), $"{connection} must not be a connection string");
            Assert.False(settings.ContainsKey($"{connection}__accountKey"), $"{connection} must not carry a key");
            Assert.False(settings.ContainsKey($"{connection}__accountName"), $"{connection} gives its endpoints, not an account name that would name all three");
            Assert.Equal("managedidentity", settings[$"{connection}__credential"]);
            Assert.Equal(RelayDeployment.IdentityClientId, settings[$"{connection}__clientId"]);
            Assert.Equal(services.Order(), settings.Keys.Where(k => k.StartsWith(connection + "__", StringComparison.Ordinal) && k.EndsWith("ServiceUri", StringComparison.Ordinal)).Select(k => k[(connection.Length + 2)..^"ServiceUri".Length]).Order());
            foreach (var service in services)
            {
                Assert.Equal($"https://{account}.{service}.core.windows.net/", settings[$"{connection}__{service}ServiceUri"]);
            }
        }

        Assert.DoesNotContain(settings.Values, v => v.Contains("AccountKey=", StringComparison.OrdinalIgnoreCase) || v.Contains("SharedAccessSignature=", StringComparison.OrdinalIgnoreCase) || v.Contains("sig=", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void TheRelaysOwnStorageClientsAddressTheDataAccount(string mode)
    {
        var deployment = Deploy(mode);
        var data = deployment.DataAccount().Name;
        var queue = (string)deployment.Parameter("relayQueueName")!;

        // The connection object AddSmtpRelay registers and RelayProcessor's clients come from (internal to the host:
        // reached by its name, so a rename fails here rather than passing unchecked).
        using var provider = new ServiceCollection().AddSmtpRelay(Configuration(deployment.AppSettings())).BuildServiceProvider();
        var type = typeof(RelaySettings).Assembly.GetType("SmtpOps.Relay.Hosting.RelayStorageConnection", throwOnError: true)!;
        var connection = provider.GetRequiredService(type);
        object Call(string method, params object[] arguments) => type.GetMethod(method)!.Invoke(connection, arguments)!;
        var endpoints = new[]
        {
            ((QueueClient)Call("Queue", queue, RelayStorage.QueueOptions())).Uri,
            ((QueueClient)Call("Queue", RelayStorage.FailedQueueName(queue), RelayStorage.QueueOptions())).Uri,
            ((BlobContainerClient)Call("Container", RelayStorage.AttachmentContainerName(queue))).Uri,
            ((TableClient)Call("Table", RelayStorage.LedgerTableName(queue))).Uri,
        };

        Assert.Equal("RelayStorage", type.GetProperty("Source")!.GetValue(connection));
        Assert.All(endpoints, uri => Assert.Matches($"^https://{data}\\.(queue|blob|table)\\.core\\.windows\\.net/", uri.AbsoluteUri));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void TelemetryGoesToTheTemplatesApplicationInsightsWithEntraAuthentication(string mode)
    {
        var deployment = Deploy(mode);
        var settings = deployment.AppSettings();

        Assert.Equal(RelayDeployment.AppInsightsConnectionString, settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        Assert.Equal($"ClientId={RelayDeployment.IdentityClientId};Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Equal(true, deployment.Single("Microsoft.Insights/components").Get("properties", "DisableLocalAuth"));
    }

    [Fact]
    public void ThePasswordIsAKeyVaultReferenceNeverAValue()
    {
        var deployment = Deploy("Password");
        var settings = deployment.AppSettings();
        var vault = deployment.Single("Microsoft.KeyVault/vaults");
        var secret = deployment.Single("Microsoft.KeyVault/vaults/secrets");
        var identity = deployment.Single("Microsoft.ManagedIdentity/userAssignedIdentities");

        Assert.Equal($"@Microsoft.KeyVault(SecretUri=https://{vault.Name}.vault.azure.net/secrets/{secret.Name}/)", settings["Relay__Smarthost__Password"]);
        Assert.True(vault.Id + "/secrets/" + secret.Name == secret.Id, "the secret is in the referenced vault");
        Assert.Equal(true, vault.Get("properties", "enableRbacAuthorization"));
        Assert.Equal(identity.Id, deployment.Single("Microsoft.Web/sites").Get("properties", "keyVaultReferenceIdentity"));
        Assert.DoesNotContain(settings.Values, v => v.Contains(RelayDeployment.SamplePassword, StringComparison.Ordinal));
        Assert.Equal("securestring", template.Json["parameters"]!["smarthostPassword"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void TheDkimKeyIsAKeyVaultReferenceReadWithTheSecretsRole()
    {
        const string Pem = "-----BEGIN PRIVATE KEY-----\nSampleDkimKeyMaterial\n-----END PRIVATE KEY-----\n";
        var deployment = Deploy("ManagedIdentity", ("dkimDomain", "contoso.com"), ("dkimSelector", "relay2026"), ("dkimPrivateKeyPem", Pem));
        var settings = deployment.AppSettings();
        var vault = deployment.Single("Microsoft.KeyVault/vaults");
        var secret = deployment.Single("Microsoft.KeyVault/vaults/secrets");

        Assert.Equal("dkim-key", secret.Name);
        Assert.True(vault.Id + "/secrets/" + secret.Name == secret.Id, "the secret is in the referenced vault");
        Assert.Equal("relay2026", settings["Relay__Dkim__contoso.com__Selector"]);
        Assert.Equal($"@Microsoft.KeyVault(SecretUri=https://{vault.Name}.vault.azure.net/secrets/dkim-key/)", settings["Relay__Dkim__contoso.com__KeyPem"]);
        Assert.DoesNotContain(settings.Values, v => v.Contains("SampleDkimKeyMaterial", StringComparison.Ordinal));
        Assert.Contains(deployment.RoleAssignments(), a => a.PrincipalId == RelayDeployment.IdentityPrincipalId && a.Role.Name == "Key Vault Secrets User" && a.Scope == vault.Id);
        Assert.Equal("securestring", template.Json["parameters"]!["dkimPrivateKeyPem"]!["type"]!.GetValue<string>());
        // The names bind to Relay:Dkim:<domain> (the dots of the domain survive the environment's __ to : mapping).
        var bound = new RelaySettings();
        Configuration(settings).GetSection(RelaySettings.SectionName).Bind(bound);
        Assert.Equal("relay2026", bound.Dkim["contoso.com"].Selector);
    }

    [Fact]
    public void OAuthModeDeploysNoKeyVaultAndNoSecret()
    {
        var deployment = Deploy("ManagedIdentity");

        Assert.Empty(deployment.OfType("Microsoft.KeyVault/vaults"));
        Assert.Empty(deployment.OfType("Microsoft.KeyVault/vaults/secrets"));
        Assert.DoesNotContain(deployment.AppSettings().Keys, k => k.StartsWith("Relay__Smarthost__Password", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Relay__OAuth__ClientSecret", StringComparison.OrdinalIgnoreCase));
    }

    private static RelaySettings Bind(IReadOnlyDictionary<string, string> appSettings)
    {
        var services = new ServiceCollection().AddSmtpRelay(Configuration(appSettings));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<RelaySettings>>().Value;
    }

    // App settings reach the worker as environment variables; the environment provider turns __ into :.
    private static IConfiguration Configuration(IReadOnlyDictionary<string, string> appSettings)
        => new ConfigurationBuilder()
            .AddInMemoryCollection(appSettings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)))
            .Build();

    private RelayDeployment Deploy(string mode, params (string Name, object? Value)[] changes)
        => new(template, mode == "Password" ? RelayDeployment.PasswordParameters(changes) : RelayDeployment.ManagedIdentityParameters(changes));
}
