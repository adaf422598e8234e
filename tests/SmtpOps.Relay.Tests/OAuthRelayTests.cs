using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using SmtpOps.Messages;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.Processing;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// XOAUTH2 through the relay's DI registration: a fake TokenCredential registered before
/// AddSmtpRelay (as a managed identity would be), a STARTTLS server that checks the exact SASL string.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class OAuthRelayTests
{
    private const string Mailbox = "relay@contoso.test";
    private readonly AzuriteFixture azurite;
    private readonly string queueName = $"oauth{Guid.NewGuid():N}".Substring(0, 20);

    public OAuthRelayTests(AzuriteFixture azurite) => this.azurite = azurite;

    private static string XOAuth2(string token) => Secrets.Base64($"user={Mailbox}\u0001auth=Bearer {token}\u0001\u0001");

    [Fact]
    public async Task TokenIsCachedAcrossConnectionsRefreshedNearExpiryAndNeverLogged()
    {
        // The first token is close to expiry (inside the 5-minute margin), the second valid for an hour.
        var nearExpiry = "eyJ0eXAiOiJKV1QiLCJub25jZSI6Im5lYXIifQ." + Guid.NewGuid().ToString("N");
        var fresh = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImZyZXNoIn0." + Guid.NewGuid().ToString("N");
        var credential = new FakeTokenCredential(
            new AccessToken(nearExpiry, DateTimeOffset.UtcNow.AddMinutes(2)),
            new AccessToken(fresh, DateTimeOffset.UtcNow.AddHours(1)));
        var accepted = new ConcurrentDictionary<string, string> { [Mailbox] = nearExpiry };
        using var certificate = TestCertificates.CreateSelfSigned("localhost");
        await using var server = await ScriptedSmtpServer.StartAsync(new() { StartTlsCertificate = certificate, OAuthTokens = accepted, RequireAuthentication = true });
        var settings = RelayServices.Settings(azurite.ConnectionString, queueName, server.Port);
        settings["Relay:Smarthost:Security"] = "StartTls";
        settings["Relay:Smarthost:CertificateThumbprints:0"] = certificate.Thumbprint;
        settings["Relay:OAuth:Mode"] = "ManagedIdentity";
        settings["Relay:OAuth:Mailbox"] = Mailbox;
        var logs = new CollectingLoggerProvider();
        await using var services = RelayServices.Build(settings, logs, s => s.AddSingleton<TokenCredential>(credential));
        var handler = services.GetRequiredService<RelayQueueHandler>();
        var client = SmtpRelayClient.Create(azurite.ConnectionString, queueName);
        var queue = new QueueClient(azurite.ConnectionString, queueName, RelayStorage.QueueOptions());

        // One message: one connection, one token.
        await client.EnqueueAsync(Mail(0));
        await handler.HandleAsync((await queue.ReceiveMessageAsync()).Value, CancellationToken.None);
        Assert.Equal(1, credential.Calls);
        Assert.Equal(new[] { XOAuth2(nearExpiry) }, server.AuthenticationResponses);

        // Eight at once: the pooled connection plus new ones. The first new connection finds the token
        // near expiry and gets a fresh one; every other connection reuses it.
        accepted[Mailbox] = fresh;
        for (var i = 1; i <= 8; i++)
        {
            await client.EnqueueAsync(Mail(i));
        }

        var batch = (await queue.ReceiveMessagesAsync(8)).Value;
        Assert.Equal(8, batch.Length);
        var outcomes = await Task.WhenAll(batch.Select(m => handler.HandleAsync(m, CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal(RelayOutcomeKind.Sent, o.Kind));
        Assert.Equal(9, (await server.WaitForMessagesAsync(9, TimeSpan.FromSeconds(10))).Count);
        Assert.Equal(2, credential.Calls);
        Assert.All(credential.Scopes, scope => Assert.Equal(OAuthCredentialSource.ExchangeOnlineScope, scope));
        var later = server.AuthenticationResponses.Skip(1).ToList();
        Assert.True(later.Count >= 2, $"expected several new connections, got {later.Count}");
        Assert.All(later, response => Assert.Equal(XOAuth2(fresh), response));
        Assert.All(server.Messages, m => Assert.Equal(Mailbox, m.AuthenticatedUser));

        Secrets.AssertNotLogged(logs.Lines, Mailbox, nearExpiry, isToken: true);
        Secrets.AssertNotLogged(logs.Lines, Mailbox, fresh, isToken: true);
    }

    private static MailMessageDefinition Mail(int number) => new()
    {
        From = "Reports <reports@contoso.test>",
        To = new[] { "ops@fabrikam.test" },
        Subject = $"Report {number}",
        TextBody = "Numbers attached.",
    };
}
