using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using SmtpOps.Messages;
using SmtpOps.Relay.Hosting;
using SmtpOps.Relay.Processing;
using SmtpOps.TestServers.Acs;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>
/// Relay:Transport Acs end to end: a message enqueued on Azurite, handled by the relay's queue handler from the relay's own
/// DI registration, sent to the ACS contract endpoint with the Function's identity (no Relay:OAuth mode: the managed
/// identity by default; a TokenCredential registered first stands in for it). Each message's content is read back from the
/// endpoint and compared; a lost 202 is redelivered under the same Operation-Id and sent once; a Failed operation is
/// dead-lettered with ACS's code and the operation id.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AcsRelayTests : IAsyncLifetime
{
    private const string Sender = "reports@contoso.test";
    private readonly AzuriteFixture azurite;
    private readonly string queueName = $"acs{Guid.NewGuid():N}".Substring(0, 20);
    private readonly FakeTokenCredential credential = new(
        new AccessToken(AcsContractEndpoint.Token(TimeSpan.FromHours(1)), DateTimeOffset.UtcNow.AddHours(1)),
        new AccessToken(AcsContractEndpoint.Token(TimeSpan.FromHours(1)), DateTimeOffset.UtcNow.AddHours(1)));

    private readonly string folder = Directory.CreateTempSubdirectory("acs-relay-").FullName;
    private AcsContractEndpoint endpoint = null!;
    private ServiceProvider services = null!;

    public AcsRelayTests(AzuriteFixture azurite) => this.azurite = azurite;

    private QueueClient Queue => new(azurite.ConnectionString, queueName, RelayStorage.QueueOptions());

    private RelayQueueHandler Handler => services.GetRequiredService<RelayQueueHandler>();

    public Task InitializeAsync()
    {
        endpoint = AcsContractEndpoint.Start();
        var settings = RelayServices.Settings(azurite.ConnectionString, queueName, smtpPort: 1);
        settings.Remove("Relay:Smarthost:Host");
        settings["Relay:Transport"] = "Acs";
        settings["Relay:Acs:Endpoint"] = endpoint.BaseUrl.ToString();
        settings["Relay:Acs:MaxRetryAfter"] = "1";
        services = RelayServices.Build(settings, before: s => s.AddSingleton<TokenCredential>(credential));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await endpoint.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task AMessageGoesThroughAcsWithTheFunctionsIdentityAndArrivesAsEnqueuedAndTheLedgerHoldsItsOperationId()
    {
        var report = Path.Combine(folder, "report.pdf");
        await File.WriteAllBytesAsync(report, RandomNumberGenerator.GetBytes(200_000));
        var queued = await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail("weekly report") with
        {
            Cc = ["Lead <lead@fabrikam.test>"],
            HtmlBody = "<p>Numbers attached.</p>",
            Attachments = [new MailAttachment(report)],
            Headers = new System.Collections.Generic.Dictionary<string, string> { ["X-Run"] = "7" },
        });

        var outcome = await Handler.HandleAsync(await ReceiveAsync(), CancellationToken.None);

        Assert.True(outcome.Kind == RelayOutcomeKind.Sent, outcome.Detail);
        Assert.Empty(endpoint.Violations);
        var sent = Assert.Single(endpoint.Sent);
        Assert.Equal("entra", sent.Authentication);
        Assert.Equal(new[] { "https://communication.azure.com/.default" }, credential.Scopes);
        Assert.Equal(Sender, sent.SenderAddress);
        Assert.Equal("weekly report", sent.Subject);
        Assert.Equal("Numbers attached.", sent.PlainText?.TrimEnd());
        Assert.Equal("<p>Numbers attached.</p>", sent.Html?.TrimEnd());
        Assert.Equal(new[] { ("ops@fabrikam.test", (string?)null) }, sent.To);
        Assert.Equal(new[] { ("lead@fabrikam.test", (string?)"Lead") }, sent.Cc);
        Assert.Equal("7", sent.Headers["X-Run"]);
        Assert.Equal("<" + queued.MessageId + ">", sent.Headers["Message-ID"]);
        var attachment = Assert.Single(sent.Attachments);
        Assert.Equal("report.pdf", attachment.Name);
        Assert.Equal(await File.ReadAllBytesAsync(report), attachment.Content);

        Assert.Equal(sent.OperationId, outcome.OperationId);
        Assert.Contains(sent.OperationId, outcome.Detail, StringComparison.Ordinal);
        var (partition, row) = RelayLedgerSchema.Locate(Sender, queued.IdempotencyKey);
        var ledger = (await new TableClient(azurite.ConnectionString, RelayStorage.LedgerTableName(queueName)).GetEntityAsync<TableEntity>(partition, row)).Value;
        Assert.Equal(RelayLedgerSchema.Sent, ledger.GetString(RelayLedgerSchema.State));
        Assert.Equal(sent.OperationId, ledger.GetString(RelayLedgerSchema.OperationId));
    }

    [Fact]
    public async Task ALost202IsRedeliveredUnderTheSameOperationIdAndTheMessageGoesOutOnce()
    {
        // No retries within a delivery (Relay:Smarthost:Retries 0): the lost answer fails the delivery, and the queue brings
        // the message back. The redelivery repeats the Operation-Id, and ACS answers with the operation it already has.
        endpoint.Script(AcsFault.LoseAcceptedAnswer);
        await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail("answer lost"));

        var retry = await Assert.ThrowsAsync<RelayRetryException>(async () => await Handler.HandleAsync(await ReceiveAsync(), CancellationToken.None));
        Assert.Contains("Connection", retry.Message, StringComparison.Ordinal);
        var again = await ReceiveAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(2, again.DequeueCount);
        var outcome = await Handler.HandleAsync(again, CancellationToken.None);

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        var sent = Assert.Single(endpoint.Sent);
        Assert.Equal(sent.OperationId, outcome.OperationId);
        var posts = endpoint.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(2, posts.Count);
        Assert.All(posts, p => Assert.Equal(sent.OperationId, p.OperationId));
        Assert.Empty(endpoint.Violations);
    }

    [Fact]
    public async Task ThrottledLongerThanADeliveryWaitsComesBackAfterRetryAfterAndIsSentOnce()
    {
        endpoint.Script(AcsFault.Throttle, times: 1, retryAfterSeconds: 3);
        await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail("throttled"));

        var retry = await Assert.ThrowsAsync<RelayRetryException>(async () => await Handler.HandleAsync(await ReceiveAsync(), CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(3), retry.RetryAfter);
        var outcome = await Handler.HandleAsync(await ReceiveAsync(TimeSpan.FromSeconds(15)), CancellationToken.None);

        Assert.Equal(RelayOutcomeKind.Sent, outcome.Kind);
        Assert.Single(endpoint.Sent);
        var posts = endpoint.Requests.Where(r => r.Method == "POST").ToArray();
        Assert.Equal(new[] { 429, 202 }, posts.Select(r => r.Status));
        Assert.True(posts[1].ReceivedAt - posts[0].ReceivedAt >= TimeSpan.FromSeconds(2.9), "the redelivery came before ACS's Retry-After");
    }

    [Fact]
    public async Task AFailedOperationIsDeadLetteredWithAcsCodeAndTheOperationIdAndNotRetried()
    {
        endpoint.Script(AcsFault.DropEmail);
        var queued = await SmtpRelayClient.Create(azurite.ConnectionString, queueName).EnqueueAsync(Mail("dropped"));

        var outcome = await Handler.HandleAsync(await ReceiveAsync(), CancellationToken.None);

        Assert.Equal(RelayOutcomeKind.DeadLettered, outcome.Kind);
        var failed = new QueueClient(azurite.ConnectionString, RelayStorage.FailedQueueName(queueName), RelayStorage.QueueOptions());
        var record = RelayEnvelopeFormat.DeserializeRecord((await failed.PeekMessageAsync()).Value.Body.ToString());
        Assert.Equal(RelayFailureKind.Acs, record.Kind);
        Assert.Equal("EmailDropped", record.ErrorCode);
        Assert.Equal(Assert.Single(endpoint.Sent).OperationId, record.OperationId);
        Assert.Equal(queued.MessageId, record.MessageId);
        Assert.Contains("EmailDropped", record.Reason, StringComparison.Ordinal);
        Assert.Single(endpoint.Requests, r => r.Method == "POST");

        // What Get-SmtpRelayFailure shows an operator carries them too.
        var shown = Assert.Single(await RelayQueueInspector.Create(azurite.ConnectionString, queueName).GetFailuresAsync());
        Assert.Equal((record.OperationId, "EmailDropped"), (shown.OperationId, shown.ErrorCode));
    }

    [Fact]
    public void AcsNeedsAnEndpointButNeitherASmarthostNorAnOAuthMode()
    {
        var settings = new RelaySettings { Transport = RelayTransportKind.Acs, Policy = new PolicySettings { AllowedSenders = ["contoso.test"] } };

        Assert.Contains(settings.Validate(), p => p.StartsWith("Relay:Acs:Endpoint must be", StringComparison.Ordinal));
        Assert.DoesNotContain(settings.Validate(), p => p.Contains("Relay:Smarthost:Host", StringComparison.Ordinal));
        settings.Acs.Endpoint = "https://contoso.communication.azure.com/";
        Assert.Empty(settings.Validate());
        settings.Acs.Endpoint = "http://contoso.communication.azure.com/";
        Assert.Contains(settings.Validate(), p => p.StartsWith("Relay:Acs:Endpoint must be", StringComparison.Ordinal));
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
