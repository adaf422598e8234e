using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using SmtpOps.Dkim;
using SmtpOps.Messages;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// The relay signs per sender domain from Relay:Dkim:&lt;domain&gt; settings: messages enqueued in Azurite, processed,
/// submitted to a recording server, and verified as received by dkimpy with the keys in the test DNS server.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RelayDkimTests : IDisposable
{
    private readonly AzuriteFixture azurite;
    private readonly string queueName = $"dkim{Guid.NewGuid():N}".Substring(0, 20);
    private readonly string folder = Directory.CreateTempSubdirectory("smtpops-relay-dkim-").FullName;
    private readonly DkimKey contosoKey = DkimKey.Generate(DkimAlgorithm.RsaSha256);
    private readonly DkimKey fabrikamKey = DkimKey.Generate(DkimAlgorithm.Ed25519Sha256);

    public RelayDkimTests(AzuriteFixture azurite) => this.azurite = azurite;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task MessagesAreSignedByTheirSenderDomainsKeyAndVerify()
    {
        var keyPath = Path.Combine(folder, "fabrikam.pem");
        fabrikamKey.ExportPrivateKeyFile(keyPath, overwrite: false);
        var settings = Bind(new Dictionary<string, string?>
        {
            ["Relay:Dkim:contoso.test:Selector"] = "relay2026",
            ["Relay:Dkim:contoso.test:KeyPem"] = contosoKey.ExportPrivateKeyPem(),
            ["Relay:Dkim:fabrikam.test:Selector"] = "ed2026",
            ["Relay:Dkim:fabrikam.test:KeyPath"] = keyPath,
        });
        Assert.DoesNotContain(settings.Validate(), p => p.Contains("Dkim", StringComparison.Ordinal));
        await using var dns = await TestDnsServer.StartAsync(new TestDnsZone()
            .Txt("relay2026._domainkey.contoso.test", DkimPublicKeyRecord.Format(contosoKey))
            .Txt("ed2026._domainkey.fabrikam.test", DkimPublicKeyRecord.Format(fabrikamKey)));
        await using var server = await TestSmtpServer.StartAsync(new());
        using var processor = RelayProcessor.Create(azurite.ConnectionString, Options(server, settings.LoadDkimSigners()));
        var client = SmtpRelayClient.Create(azurite.ConnectionString, queueName);
        var senders = new[] { "billing@contoso.test", "Jürgen <alerts@eu.contoso.test>", "ops@fabrikam.test", "news@northwind.test" };
        foreach (var from in senders)
        {
            await client.EnqueueAsync(new MailMessageDefinition { From = from, To = new[] { "customer@adatum.test" }, Subject = $"Invoice für {from}", TextBody = "Your invoice: 42 €." });
        }

        var outcomes = new List<RelayOutcome>();
        var queue = new QueueClient(azurite.ConnectionString, queueName, RelayStorage.QueueOptions());
        for (var i = 0; i < senders.Length; i++)
        {
            var message = (await queue.ReceiveMessageAsync()).Value;
            outcomes.Add(await processor.ProcessAsync(new RelayDelivery { QueueMessageId = message.MessageId, Text = message.Body.ToString(), DequeueCount = message.DequeueCount }));
        }

        Assert.All(outcomes, o => Assert.Equal(RelayOutcomeKind.Sent, o.Kind));
        var received = await server.WaitForMessagesAsync(senders.Length, TimeSpan.FromSeconds(30));
        foreach (var message in received)
        {
            var text = Encoding.ASCII.GetString(message.Data);
            var verdict = await DkimPyVerifier.VerifyAsync(message.Data, dns.EndPoint);
            if (message.From == "news@northwind.test")
            {
                Assert.DoesNotContain("DKIM-Signature", text, StringComparison.OrdinalIgnoreCase);
                continue;
            }

            Assert.True(verdict.Passed, $"{message.From}: {verdict.Output}");
            Assert.Contains(message.From.EndsWith("fabrikam.test", StringComparison.Ordinal) ? "d=fabrikam.test" : "d=contoso.test", text, StringComparison.Ordinal);
        }

        Assert.Equal(3, outcomes.Count(o => o.Detail?.Contains("DKIM d=", StringComparison.Ordinal) == true));
    }

    [Fact]
    public void SettingsThatCannotSignAreNamedWithoutTheKey()
    {
        var pem = contosoKey.ExportPrivateKeyPem();
        var settings = Bind(new Dictionary<string, string?>
        {
            ["Relay:Dkim:contoso.test:Selector"] = "relay2026",
            ["Relay:Dkim:contoso.test:KeyPem"] = pem.Replace("MII", "MIX", StringComparison.Ordinal),
            ["Relay:Dkim:fabrikam.test:KeyPem"] = pem,
            ["Relay:Dkim:adatum.test:Selector"] = "s1",
        });

        var problems = settings.Validate().Where(p => p.StartsWith("Relay:Dkim", StringComparison.Ordinal)).ToList();

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Relay:Dkim:contoso.test: The DKIM key is not a readable PEM private key", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Relay:Dkim:fabrikam.test:Selector is not set", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Relay:Dkim:adatum.test needs exactly one of :KeyPem", StringComparison.Ordinal));
        var secret = pem.Split('\n')[2];
        Assert.DoesNotContain(problems, p => p.Contains(secret[..16], StringComparison.Ordinal));
    }

    private static RelaySettings Bind(Dictionary<string, string?> values)
    {
        values["Relay:Smarthost:Host"] = "127.0.0.1";
        values["Relay:Policy:AllowedSenders:0"] = "contoso.test";
        var settings = new RelaySettings();
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(RelaySettings.SectionName).Bind(settings);
        return settings;
    }

    private RelayProcessorOptions Options(TestSmtpServer server, DkimSignerSet dkim) => new()
    {
        QueueName = queueName,
        Smarthost = new SmtpConnectionOptions
        {
            Host = "127.0.0.1",
            Port = server.Port,
            Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None },
            Retry = RetryPolicy.None,
            Timeout = TimeSpan.FromSeconds(10),
        },
        Policy = new RelayPolicy { AllowedSenders = new[] { "contoso.test", "eu.contoso.test", "fabrikam.test", "northwind.test" } },
        ClaimLease = TimeSpan.FromSeconds(30),
        Dkim = dkim,
    };
}
