using System;
using System.Threading;
using System.Threading.Tasks;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.WebJobs;
using SmtpOps.Relay.Hosting;

namespace SmtpOps.Relay.LocalHost;

/// <summary>The WebJobs queue trigger: the same few lines as the Function, the same handler.</summary>
public sealed class RelayJob
{
    private readonly RelayQueueHandler handler;

    /// <summary>Initializes a new instance of the <see cref="RelayJob"/> class.</summary>
    /// <param name="handler">The relay's queue handler.</param>
    public RelayJob(RelayQueueHandler handler) => this.handler = handler ?? throw new ArgumentNullException(nameof(handler));

    /// <summary>Relays one queue message (sent, duplicate or dead-lettered: completes; transient: throws after setting the backoff).</summary>
    /// <param name="message">The queue message, with its dequeue count and pop receipt.</param>
    /// <param name="cancellationToken">Signalled when the host shuts down.</param>
    /// <returns>A task that completes when the message is dealt with.</returns>
    [FunctionName("SmtpRelay")]
    public Task Run([QueueTrigger("%Relay:QueueName%", Connection = "RelayStorage")] QueueMessage message, CancellationToken cancellationToken)
        => handler.HandleAsync(message, cancellationToken);
}
