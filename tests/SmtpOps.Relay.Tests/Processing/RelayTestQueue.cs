using System;
using System.Threading.Tasks;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using SmtpOps.Messages;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>
/// A relay queue of one test class's own on Azurite, with what the processing tests reach it by: its Storage clients,
/// the relay's options for it (senders of contoso.test, short delays and leases), a processor, the sample mail, and a
/// delivery received as the queue trigger would hand it over.
/// </summary>
internal sealed class RelayTestQueue
{
    /// <summary>A queue with a fresh name that starts with <paramref name="prefix"/>.</summary>
    public RelayTestQueue(AzuriteFixture azurite, string prefix)
    {
        ConnectionString = azurite.ConnectionString;
        Name = $"{prefix}{Guid.NewGuid():N}".Substring(0, 20);
    }

    public string ConnectionString { get; }

    public string Name { get; }

    public QueueClient Queue => new(ConnectionString, Name, RelayStorage.QueueOptions());

    public QueueClient FailedQueue => new(ConnectionString, RelayStorage.FailedQueueName(Name), RelayStorage.QueueOptions());

    public BlobContainerClient Blobs => new(ConnectionString, RelayStorage.AttachmentContainerName(Name));

    public SmtpRelayClient Client => SmtpRelayClient.Create(ConnectionString, Name);

    public RelayQueueInspector Inspector => RelayQueueInspector.Create(ConnectionString, Name);

    public IdempotencyLedger Ledger => new(new TableClient(ConnectionString, RelayStorage.LedgerTableName(Name)), TimeSpan.FromSeconds(30));

    /// <summary>A smarthost on 127.0.0.1 without TLS, retries or credentials, with a 10-second timeout; tests change it with <c>with</c>.</summary>
    public static SmtpConnectionOptions Smarthost(int port) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None },
        Retry = RetryPolicy.None,
        Timeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>The relay's options for this queue: senders of contoso.test, a retry after 2 s (or <paramref name="retryDelay"/>), a 30-second claim lease.</summary>
    public RelayProcessorOptions Options(SmtpConnectionOptions smarthost, int maxAttempts = 5, TimeSpan? retryDelay = null) => new()
    {
        QueueName = Name,
        Smarthost = smarthost,
        Policy = new RelayPolicy { AllowedSenders = ["contoso.test"] },
        RetryDelay = retryDelay ?? TimeSpan.FromSeconds(2),
        MaxAttempts = maxAttempts,
        ClaimLease = TimeSpan.FromSeconds(30),
    };

    public RelayProcessor Processor(RelayProcessorOptions options, ILogger? logger = null) => RelayProcessor.Create(ConnectionString, options, logger);

    /// <summary>The next message of the queue as the trigger hands it over (it stays on the queue, invisible for a while).</summary>
    public async Task<RelayDelivery> ReceiveAsync()
    {
        var message = (await Queue.ReceiveMessageAsync()).Value ?? throw new InvalidOperationException("The queue is empty.");
        return new RelayDelivery { QueueMessageId = message.MessageId, Text = message.Body.ToString(), DequeueCount = message.DequeueCount };
    }

    /// <summary>An invoice mail from billing@contoso.test to customer@fabrikam.test.</summary>
    public static MailMessageDefinition Mail(string subject = "Invoice", params MailAttachment[] attachments) => new()
    {
        From = "Billing <billing@contoso.test>",
        To = ["customer@fabrikam.test"],
        Subject = subject,
        TextBody = "Your invoice is attached.",
        Attachments = attachments,
    };
}
