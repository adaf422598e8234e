using System;
using System.Management.Automation;
using System.Threading;
using SmtpOps.Messages;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Commands.Delivery;

/// <summary>Enqueues every message on the relay's Storage queue instead of sending it; the relay sends it later.</summary>
internal sealed class RelayQueueRoute : DeliveryRoute
{
    private readonly SmtpRelayClient relay;
    private readonly string queue;
    private readonly bool accessToken;
    private readonly string address;
    private readonly Func<string?> idempotencyKey;
    private readonly CancellationToken stopping;

    private RelayQueueRoute(DeliveryOutput output, SmtpRelayClient relay, string queue, bool accessToken, string address, Func<string?> idempotencyKey, CancellationToken stopping)
        : base(output)
    {
        relay.Enqueuer = $"{Environment.UserName}@{Environment.MachineName} (Send-SmtpMail)";
        this.relay = relay;
        this.queue = queue;
        this.accessToken = accessToken;
        this.address = address;
        this.idempotencyKey = idempotencyKey;
        this.stopping = stopping;
    }

    /// <summary>The queue reached with a Storage connection string (account key or SAS); stops the cmdlet if it is unusable.</summary>
    public static RelayQueueRoute FromConnectionString(DeliveryOutput output, string connectionString, string queue, Func<string?> idempotencyKey, CancellationToken stopping)
    {
        SmtpRelayClient relay;
        try
        {
            relay = SmtpRelayClient.Create(connectionString, queue);
        }
        catch (RelayStorageException ex)
        {
            output.Stop(RelayErrorRecords.FromStorage(ex, RelayStorageUse.Enqueue, accessToken: false));
            throw;
        }

        return new RelayQueueRoute(output, relay, queue, accessToken: false, "-RelayQueueUri", idempotencyKey, stopping);
    }

    /// <summary>
    /// The queue reached with a Microsoft Entra token, by its URI or (in the public cloud) its account's name;
    /// stops the cmdlet when the attachment container cannot be derived.
    /// </summary>
    public static RelayQueueRoute FromAccessToken(DeliveryOutput output, Uri queueUri, string accessToken, Uri? containerUri, bool byAccountName, Func<string?> idempotencyKey, CancellationToken stopping)
    {
        SmtpRelayClient relay;
        try
        {
            relay = SmtpRelayClient.Create(queueUri, accessToken, containerUri);
        }
        catch (ArgumentException ex)
        {
            output.Stop(new ErrorRecord(ex, "RelayContainerUriRequired", ErrorCategory.InvalidArgument, queueUri)
            {
                ErrorDetails = new ErrorDetails(ex.Message.Split('\n')[0].Trim()) { RecommendedAction = "Give -RelayContainerUri (the '<queue>-attachments' container of the same account)." },
            });
            throw;
        }

        return new RelayQueueRoute(output, relay, queueUri.ToString(), accessToken: true, byAccountName ? "-RelayAccountName" : "-RelayQueueUri", idempotencyKey, stopping);
    }

    public override string DescribeAction(ComposedMessage message) => $"Enqueue mail on relay queue '{queue}'";

    public override void Deliver(ComposedMessage message, MailMessageDefinition definition)
    {
        using (message)
        {
            RelayEnqueueResult queued;
            try
            {
                queued = relay.EnqueueAsync(definition, idempotencyKey(), stopping).GetAwaiter().GetResult();
            }
            catch (MessageValidationException ex)
            {
                Output.Failed(SmtpErrorRecords.FromValidation(ex));
                return;
            }
            catch (RelayStorageException ex)
            {
                // The queue is the same for every message: if it refuses one, it refuses them all.
                Output.Stop(RelayErrorRecords.FromStorage(ex, RelayStorageUse.Enqueue, accessToken, address));
                return;
            }

            Output.Sent(queued, queued.Subject);
        }
    }
}
