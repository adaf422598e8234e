using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmtpOps.Infra.Tests.Deployment;
using SmtpOps.Relay.Hosting;
using Xunit;

namespace SmtpOps.Infra.Tests;

/// <summary>
/// The optional Azure Communication Services part of functions/infra/main.bicep (acsEnabled): off by default, nothing of
/// it deployed; on, an Email Communication Service with a domain, a Communication Services resource linked to that
/// domain, exactly one role for the relay's identity scoped to that resource alone, and app settings the relay's own
/// validator accepts (Relay:Transport Acs, the endpoint, the identity by client id, no smarthost credential).
/// </summary>
public sealed class AcsTemplateTests : IClassFixture<CompiledTemplate>
{
    private const string Communication = "Microsoft.Communication/communicationServices";
    private readonly CompiledTemplate template;

    public AcsTemplateTests(CompiledTemplate template) => this.template = template;

    [Fact]
    public void NothingOfAcsIsDeployedByDefault()
    {
        var deployment = new RelayDeployment(template, RelayDeployment.ManagedIdentityParameters());

        Assert.DoesNotContain(deployment.Resources, r => r.Type.StartsWith("Microsoft.Communication/", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(deployment.RoleAssignments(), a => a.Role.Name == "Communication and Email Service Owner");
        Assert.False(deployment.AppSettings().ContainsKey("Relay__Transport"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("notify.contoso.com")]
    public void WithAcsEnabledTheRelaysIdentitySendsThroughOneLinkedResourceAndTheRelayAcceptsItsSettings(string senderDomain)
    {
        var deployment = new RelayDeployment(template, RelayDeployment.ManagedIdentityParameters(("acsEnabled", true), ("acsSenderDomain", senderDomain)));

        var email = deployment.Single("Microsoft.Communication/emailServices");
        var domain = deployment.Single("Microsoft.Communication/emailServices/domains");
        var communication = deployment.Single(Communication);
        Assert.StartsWith(email.Id + "/domains/", domain.Id, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(senderDomain.Length == 0 ? "AzureManaged" : "CustomerManaged", domain.Get("properties", "domainManagement"));
        Assert.Equal("Disabled", domain.Get("properties", "userEngagementTracking"));
        Assert.Equal(new object?[] { domain.Id }, ((List<object?>)communication.Get("properties", "linkedDomains")!).ToArray());

        var acsRoles = deployment.RoleAssignments().Where(a => a.Scope.StartsWith("/subscriptions/", StringComparison.Ordinal) && a.Scope.Contains("/Microsoft.Communication/", StringComparison.OrdinalIgnoreCase)).ToList();
        var assignment = Assert.Single(acsRoles);
        Assert.Equal(RelayDeployment.IdentityPrincipalId, assignment.PrincipalId);
        Assert.Equal(communication.Id, assignment.Scope, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("Communication and Email Service Owner", assignment.Role.Name);
        Assert.Single(deployment.RoleAssignments(), a => a.Role.Name == "Communication and Email Service Owner");

        var settings = deployment.AppSettings();
        Assert.False(settings.ContainsKey("Relay__OAuth__Mailbox"));
        var services = new ServiceCollection().AddSmtpRelay(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)))
            .Build());
        using var provider = services.BuildServiceProvider();
        var relay = provider.GetRequiredService<IOptions<RelaySettings>>().Value;
        Assert.Empty(relay.Validate());
        Assert.Equal(RelayTransportKind.Acs, relay.Transport);
        Assert.Equal($"https://{communication.Name}.communication.azure.com/", relay.Acs.Endpoint);
        Assert.Equal(OAuthMode.ManagedIdentity, relay.OAuth.Mode);
        Assert.Equal(RelayDeployment.IdentityClientId, relay.OAuth.ClientId);
    }
}
