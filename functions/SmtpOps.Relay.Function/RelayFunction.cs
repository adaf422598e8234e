using System;
using System.Threading;
using System.Threading.Tasks;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SmtpOps.Relay.Hosting;

namespace SmtpOps.Relay.Function;

/// <summary>The queue trigger: one message, one call into the relay; the host deletes it unless this throws.</summary>
public sealed class RelayFunction
{
    private readonly RelayQueueHandler handler;

    /// <summary>Initializes a new instance of the <see cref="RelayFunction"/> class.</summary>
    /// <param name="handler">The relay's queue handler.</param>
    public RelayFunction(RelayQueueHandler handler) => this.handler = handler ?? throw new ArgumentNullException(nameof(handler));

    /// <summary>Relays one queue message (sent, duplicate or dead-lettered: completes; transient: throws after setting the backoff).</summary>
    /// <param name="message">The queue message, with its dequeue count and pop receipt.</param>
    /// <param name="cancellationToken">Signalled when the host shuts down.</param>
    /// <returns>A task that completes when the message is dealt with.</returns>
    [Function("SmtpRelay")]
    public Task Run([QueueTrigger("%Relay:QueueName%", Connection = "RelayStorage")] QueueMessage message, CancellationToken cancellationToken)
        => handler.HandleAsync(message, cancellationToken);
}
