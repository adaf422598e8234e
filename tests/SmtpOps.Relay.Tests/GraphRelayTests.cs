using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OpenTelemetry;
using OpenTelemetry.Trace;
using SmtpOps.Messages;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.Processing;
using SmtpOps.TestServers.Graph;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// Relay:Transport Graph end to end: a message enqueued on Azurite, handled by the relay's queue handler from the relay's
/// own DI registration, sent to the Graph contract endpoint with the Relay:OAuth identity (a TokenCredential registered
/// first, as a managed identity would be). Sent, throttled then sent on the next delivery, refused and dead-lettered.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class GraphRelayTests : IAsyncLifetime
{
    private const string Mailbox = "relay@contoso.test";
    private readonly AzuriteFixture azurite;
    private readonly string queueName = $"graph{Guid.NewGuid():N}".Substring(0, 20);
    private readonly FakeTokenCredential credential = new(
        new AccessToken(GraphContractEndpoint.Token(TimeSpan.FromHours(1)), DateTimeOffset.UtcNow.AddHours(1)),
        new AccessToken(GraphContractEndpoint.Token(TimeSpan.FromHours(1)), DateTimeOffset.UtcNow.AddHours(1)));

    private GraphContractEndpoint endpoint = null!;
    private ServiceProvider services = null!;

    public GraphRelayTests(AzuriteFixture azurite) => this.azurite = azurite;

    private QueueClient Queue => new(azurite.ConnectionString, queueName, RelayStorage.QueueOptions());

    public Task InitializeAsync()
    {
        endpoint = GraphContractEndpoint.Start();
        var settings = RelayServices.Settings(azurite.ConnectionString, queueName, smtpPort: 1);
        settings.Remove("Relay:Smarthost:Host");
        settings["Relay:Transport"] = "Graph";
        settings["Relay:Graph:Mailbox"] = Mailbox;
        settings["Relay:Graph:Endpoint"] = endpoint.BaseUrl.ToString();
        settings["Relay:Graph:MaxRetryAfter"] = "1";
        settings["Relay:OAuth:Mode"] = "ManagedIdentity";
        services = RelayServices.Build(settings, before: s => s.AddSingleton<TokenCredential>(credential));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await endpoint.DisposeAsync();
    }

    [Fact]
    public async Task AMessageIsSentAsItsMimeThroughGraphWithTheIdentitysGraphToken()
    {
        var queued = await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail("weekly report"));

        var outcome = await Handler.HandleAsync(await ReceiveAsync(), CancellationToken.None);

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        Assert.Contains("202 Accepted by Microsoft Graph as relay@contoso.test", outcome.Detail, StringComparison.Ordinal);
        Assert.Empty(endpoint.Violations);
        var sent = Assert.Single(endpoint.Sent);
        Assert.Equal(Mailbox, sent.Mailbox);
        using var mime = MimeMessage.Load(new System.IO.MemoryStream(sent.Mime));
        Assert.Equal(queued.MessageId, mime.MessageId);
        Assert.Equal("weekly report", mime.Subject);
        Assert.Equal(new[] { "https://graph.microsoft.com/.default" }, credential.Scopes);
    }

    [Fact]
    public async Task ThrottledLongerThanADeliveryWaitsTheMessageComesBackAfterRetryAfterAndIsSentOnce()
    {
        endpoint.Script(GraphFault.Throttle, times: 1, retryAfterSeconds: 3);
        await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail("throttled"));

        var retry = await Assert.ThrowsAsync<RelayRetryException>(async () => await Handler.HandleAsync(await ReceiveAsync(), CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(3), retry.RetryAfter);
        Assert.Contains("Throttled", retry.Message, StringComparison.Ordinal);

        var again = await ReceiveAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(2, again.DequeueCount);
        var outcome = await Handler.HandleAsync(again, CancellationToken.None);

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        Assert.Single(endpoint.Sent);
        var requests = endpoint.Requests.ToArray();
        Assert.Equal(new[] { 429, 202 }, requests.Select(r => r.Status));
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromSeconds(2.9), "the redelivery came before Graph's Retry-After");
        Assert.Empty(endpoint.Violations);
    }

    [Fact]
    public async Task ARefusalIsDeadLetteredWithGraphsCodeAndWhatToGrantAndNotRetried()
    {
        endpoint.Script(GraphFault.AccessDenied);
        var queued = await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail("refused"));
        var spans = new List<Activity>();
        RelayOutcome outcome;
        using (Sdk.CreateTracerProviderBuilder().AddSource(RelayDiagnostics.SourceName).AddInMemoryExporter(spans).Build())
        {
            outcome = await Handler.HandleAsync(await ReceiveAsync(), CancellationToken.None);
        }

        // The delivery's span names Graph, not a smarthost, and carries Graph's HTTP status instead of an SMTP code.
        var span = Assert.Single(spans, s => s.Kind == ActivityKind.Consumer && Equals(s.GetTagItem(RelayDiagnostics.DestinationNameAttribute), queueName));
        Assert.Equal(403, span.GetTagItem(RelayDiagnostics.HttpStatusCodeAttribute));
        Assert.Null(span.GetTagItem(RelayDiagnostics.SmtpStatusCodeAttribute));
        Assert.Equal(endpoint.BaseUrl.Host, span.GetTagItem(RelayDiagnostics.SmarthostAddressAttribute));
        Assert.Equal(endpoint.BaseUrl.Port, span.GetTagItem(RelayDiagnostics.SmarthostPortAttribute));

        Assert.Equal(RelayOutcomeKind.DeadLettered, outcome.Kind);

        // What Get-SmtpRelayFailure -Kind Graph asks the inspector for (it peeks): the Graph record, and nothing for the SMTP kinds.
        var inspector = RelayQueueInspector.Create(azurite.ConnectionString, queueName);
        var found = Assert.Single(await inspector.GetFailuresAsync(new RelayFailureFilter { Kinds = [RelayFailureKind.Graph] }));
        Assert.Equal(queued.MessageId, found.MessageId);
        Assert.Empty(await inspector.GetFailuresAsync(new RelayFailureFilter { Kinds = [RelayFailureKind.Smtp, RelayFailureKind.Policy] }));

        var failed = new QueueClient(azurite.ConnectionString, RelayStorage.FailedQueueName(queueName), RelayStorage.QueueOptions());
        var record = RelayEnvelopeFormat.DeserializeRecord((await failed.ReceiveMessageAsync()).Value.Body.ToString());
        Assert.Equal(RelayFailureKind.Graph, record.Kind);
        Assert.Equal(403, record.StatusCode);
        Assert.Equal(queued.MessageId, record.MessageId);
        Assert.Contains("ErrorAccessDenied", record.Reason, StringComparison.Ordinal);
        Assert.Contains("Mail.Send", record.Reason, StringComparison.Ordinal);
        Assert.Single(endpoint.Requests);
        Assert.Empty(endpoint.Sent);
    }

    [Fact]
    public void GraphNeedsAMailboxAndAnIdentityButNoSmarthost()
    {
        var settings = new RelaySettings { Transport = RelayTransportKind.Graph, Policy = new PolicySettings { AllowedSenders = ["contoso.test"] } };

        var problems = settings.Validate();

        Assert.Contains(problems, p => p.StartsWith("Relay:Graph:Mailbox is required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Relay:Transport Graph needs an identity", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("Relay:Smarthost:Host", StringComparison.Ordinal));
        settings.Graph.Mailbox = Mailbox;
        settings.OAuth.Mode = OAuthMode.ManagedIdentity;
        Assert.Empty(settings.Validate());
        settings.Graph.Endpoint = "http://graph.contoso.test/";
        Assert.Contains(settings.Validate(), p => p.StartsWith("Relay:Graph:Endpoint must be an https URL", StringComparison.Ordinal));
    }

    private RelayQueueHandler Handler => services.GetRequiredService<RelayQueueHandler>();

    [Fact]
    public async Task AMessageOverGraphsRequestLimitGoesAsADraftWithItsAttachmentsWhole()
    {
        // The relay composes the queued message again (its attachments from the envelope): a 5 MB archive goes through an
        // upload session and four 1 MB sheets (too many for the draft's one request) one POST each.
        var folder = System.IO.Directory.CreateTempSubdirectory("graph-relay-").FullName;
        try
        {
            var files = new List<string>();
            foreach (var (name, size) in new[] { ("archive.zip", 5), ("q1.xlsx", 1), ("q2.xlsx", 1), ("q3.xlsx", 1), ("q4.xlsx", 1) })
            {
                var path = System.IO.Path.Combine(folder, name);
                await System.IO.File.WriteAllBytesAsync(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(size * 1024 * 1024));
                files.Add(path);
            }

            await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail("quarter") with { Attachments = files.Select(f => new MailAttachment(f)).ToList() });

            var outcome = await Handler.HandleAsync(await ReceiveAsync(), CancellationToken.None);

            Assert.True(outcome.Kind == RelayOutcomeKind.Sent, outcome.Detail);
            Assert.Empty(endpoint.Violations);
            Assert.Single(endpoint.Requests, r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal));
            using var sent = Assert.Single(endpoint.Sent).Assemble();
            var parts = sent.Attachments.OfType<MimePart>().ToDictionary(p => p.FileName!);
            Assert.Equal(files.Select(f => System.IO.Path.GetFileName(f)).Order(), parts.Keys.Order());
            foreach (var file in files)
            {
                using var decoded = new System.IO.MemoryStream();
                parts[System.IO.Path.GetFileName(file)].Content!.DecodeTo(decoded);
                Assert.Equal(await System.IO.File.ReadAllBytesAsync(file), decoded.ToArray());
            }
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }

    private static MailMessageDefinition Mail(string subject) => new()
    {
        From = "Reports <reports@contoso.test>",
        To = ["ops@fabrikam.test"],
        Subject = subject,
        TextBody = "Numbers attached.",
    };

    private async Task<QueueMessage> ReceiveAsync(TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            var message = (await Queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value;
            if (message is not null)
            {
                return message;
            }

            Assert.True(DateTime.UtcNow < deadline, "no queue message arrived");
            await Task.Delay(200);
        }
    }
}
