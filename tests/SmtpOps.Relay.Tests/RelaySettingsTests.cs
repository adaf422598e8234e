using System;
using System.Collections.Generic;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmtpOps.Relay.Hosting;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>Settings are validated when the host starts, with messages that name settings and never show secrets.</summary>
public sealed class RelaySettingsTests
{
    private const string Storage = "UseDevelopmentStorage=true";

    private static OptionsValidationException Invalid(Dictionary<string, string?> settings)
    {
        using var services = RelayServices.Build(settings);
        return Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RelaySettings>>().Value);
    }

    [Fact]
    public void MissingSmarthostAndStorageAreReportedTogether()
    {
        var settings = RelayServices.Settings(Storage, "relay", 25);
        settings.Remove("Relay:Smarthost:Host");
        settings.Remove("RelayStorage");

        var error = Invalid(settings);

        Assert.Contains("Relay:Smarthost:Host is not set", error.Message);
        Assert.Contains("RelayStorage", error.Message);
    }

    [Fact]
    public void OAuthModesNeedTheirFieldsAndSecretsAreNeverQuoted()
    {
        const string password = "Pa55-never-in-a-message";
        var settings = RelayServices.Settings(Storage, "relay", 25);
        settings["Relay:OAuth:Mode"] = "ClientSecret";
        settings["Relay:Smarthost:Password"] = password;

        var error = Invalid(settings);

        Assert.Contains("Relay:OAuth:Mailbox is required", error.Message);
        Assert.Contains("Relay:OAuth:TenantId is required", error.Message);
        Assert.Contains("Relay:OAuth:ClientId is required", error.Message);
        Assert.Contains("Relay:OAuth:ClientSecret is required", error.Message);
        Assert.Contains("Relay:Smarthost:Password is set but Relay:Smarthost:UserName is not", error.Message);
        Assert.DoesNotContain(password, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/no/such/folder/smarthost-root.pem")]
    [InlineData("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----")]
    public void ATrustedRootThatIsNoCertificateIsRefusedAtStart(string entry)
    {
        var settings = RelayServices.Settings(Storage, "relay", 25);
        settings["Relay:Smarthost:TrustedRootCertificates:0"] = entry;

        Assert.Contains("Relay:Smarthost:TrustedRootCertificates holds an entry that is neither a PEM certificate nor a readable certificate file", Invalid(settings).Message);
    }

    [Fact]
    public void AnIdentityBasedConnectionMustGiveEveryEndpointTheRelayUses()
    {
        var settings = RelayServices.Settings(Storage, "relay", 25);
        settings.Remove("RelayStorage");
        settings["RelayStorage:queueServiceUri"] = "https://contosomail.queue.core.windows.net";
        settings["RelayStorage:credential"] = "managedidentity";

        var message = Invalid(settings).Message;

        Assert.Contains("RelayStorage is identity-based but does not give every endpoint", message, StringComparison.Ordinal);
        Assert.Contains("RelayStorage__accountName", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAccountNameGivesEveryEndpointOfAnIdentityBasedConnection()
    {
        var settings = RelayServices.Settings(Storage, "relay", 25);
        settings.Remove("RelayStorage");
        settings.Remove("AzureWebJobsStorage");
        settings["RelayStorage:accountName"] = "contosomail";
        settings["RelayStorage:credential"] = "managedidentity";
        using var services = RelayServices.Build(settings);

        Assert.NotNull(services.GetRequiredService<IOptions<RelaySettings>>().Value);
    }

    [Fact]
    public void AnEmptyAllowListIsRefusedAtStart()
    {
        var settings = RelayServices.Settings(Storage, "relay", 25);
        settings.Remove("Relay:Policy:AllowedSenders:0");

        Assert.Contains("Relay:Policy:AllowedSenders is empty", Invalid(settings).Message);
    }

    [Theory]
    [InlineData("ManagedIdentity", typeof(ManagedIdentityCredential))]
    [InlineData("ClientSecret", typeof(ClientSecretCredential))]
    public void TheModeChoosesTheAzureIdentityCredential(string mode, Type expected)
    {
        var settings = RelayServices.Settings(Storage, "relay", 25);
        settings["Relay:OAuth:Mode"] = mode;
        settings["Relay:OAuth:Mailbox"] = "relay@contoso.test";
        settings["Relay:OAuth:TenantId"] = "00000000-0000-0000-0000-000000000001";
        settings["Relay:OAuth:ClientId"] = "00000000-0000-0000-0000-000000000002";
        settings["Relay:OAuth:ClientSecret"] = "not-a-real-secret";
        using var services = RelayServices.Build(settings);

        Assert.IsType(expected, services.GetRequiredService<TokenCredential>());
    }
}
