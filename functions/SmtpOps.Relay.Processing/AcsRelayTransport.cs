using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MimeKit;
using SmtpOps.Acs;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// The relay's third way out (Relay:Transport Acs): Azure Communication Services Email over REST, with the Function's
/// managed identity by default. One <see cref="AcsEmailTransport"/> (one HttpClient, one token renewed near expiry) for the
/// process, at most <c>maxConcurrent</c> sends at once, each under an Operation-Id derived from the queue message and its
/// idempotency key: a redelivery of a message whose 202 was lost repeats the id, and ACS answers with the operation it
/// already has instead of sending twice. ACS's answer or failure becomes the same outcomes as the smarthost's through
/// <see cref="RelayDecision"/>: Sent (with the operation id for the ledger), Retry (429/5xx, never sooner than ACS's
/// Retry-After), or a dead letter of kind <see cref="RelayFailureKind.Acs"/> with ACS's error code and the operation id.
/// </summary>
public sealed class AcsRelayTransport : IDisposable
{
    private readonly AcsEmailTransport transport;
    private readonly SemaphoreSlim slots;
    private readonly ILogger logger;

    /// <summary>Creates the transport; nothing is sent until the first message.</summary>
    /// <param name="options">The endpoint and identity.</param>
    /// <param name="maxConcurrent">How many sends may be in flight at once; at least 1.</param>
    /// <param name="logger">Where throttling is logged (never a token or key).</param>
    public AcsRelayTransport(AcsEmailOptions options, int maxConcurrent, ILogger logger)
    {
        if (maxConcurrent < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxConcurrent), maxConcurrent, "At least one send at a time.");
        }

        transport = new AcsEmailTransport(options);
        slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Gets the resource's endpoint.</summary>
    public Uri Endpoint => transport.Endpoint;

    /// <summary>The Operation-Id of one queue message's send: the same on every delivery of that queue message.</summary>
    /// <param name="queueMessageId">The queue message id (a re-enqueued dead letter is a new queue message, and a new send).</param>
    /// <param name="sender">The envelope's sender.</param>
    /// <param name="idempotencyKey">The envelope's idempotency key.</param>
    /// <returns>The id.</returns>
    public static string OperationIdFor(string queueMessageId, string sender, string idempotencyKey)
        => AcsEmailTransport.OperationIdFor(queueMessageId, sender.ToLowerInvariant(), idempotencyKey);

    /// <summary>Sends one composed message and says what the queue must do next.</summary>
    /// <param name="message">The message.</param>
    /// <param name="operationId">The Operation-Id to send under (<see cref="OperationIdFor"/>).</param>
    /// <param name="decision">The relay's rules.</param>
    /// <param name="dequeueCount">How many times the queue message was delivered.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>Sent, Retry or a dead letter, with the operation id.</returns>
    public async Task<RelayOutcome> SendAsync(MimeMessage message, string operationId, RelayDecision decision, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await transport.SendAsync(message, operationId, cancellationToken).ConfigureAwait(false);
            return decision.Sent($"{result.Response} by Azure Communication Services as {result.SenderAddress}") with { MessageId = result.MessageId, StatusCode = 202, OperationId = result.OperationId };
        }
        catch (AcsTransportException ex)
        {
            var outcome = decision.AfterFailure(ex, dequeueCount);
            if (ex.IsThrottling)
            {
                logger.LogWarning(
                    "Azure Communication Services is throttling {Endpoint} (Retry-After {RetryAfterSeconds} s); message {MessageId} is retried in {RetryInSeconds} s",
                    transport.Endpoint.Host,
                    ex.RetryAfter?.TotalSeconds,
                    message.MessageId,
                    outcome.RetryAfter?.TotalSeconds);
            }

            return outcome;
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose()
    {
        transport.Dispose();
        slots.Dispose();
    }
}
