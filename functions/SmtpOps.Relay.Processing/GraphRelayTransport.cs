using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MimeKit;
using SmtpOps.Graph;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// The relay's other way out, beside <see cref="SmtpSubmitterPool"/>: Microsoft Graph as one mailbox (Relay:Transport
/// Graph), for tenants where SMTP AUTH is off. One <see cref="GraphTransport"/> (one HttpClient, one token, renewed near
/// expiry) for the process, at most <c>maxConcurrent</c> sends at once (Outlook allows four concurrent requests per app
/// and mailbox), and Graph's answer or failure turned into the same outcomes as the smarthost's through
/// <see cref="RelayDecision"/>: Sent, Retry (429/5xx, with Graph's Retry-After when it is longer than the backoff),
/// or a dead letter (a 4xx refusal, kind <see cref="RelayFailureKind.Graph"/>).
/// </summary>
public sealed class GraphRelayTransport : IDisposable
{
    private readonly GraphTransport transport;
    private readonly SemaphoreSlim slots;
    private readonly ILogger logger;

    /// <summary>Creates the transport; nothing is sent until the first message.</summary>
    /// <param name="options">The mailbox, endpoint and identity.</param>
    /// <param name="maxConcurrent">How many sends may be in flight at once; at least 1.</param>
    /// <param name="logger">Where throttling is logged (never a token).</param>
    public GraphRelayTransport(GraphTransportOptions options, int maxConcurrent, ILogger logger)
    {
        if (maxConcurrent < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxConcurrent), maxConcurrent, "At least one send at a time.");
        }

        transport = new GraphTransport(options);
        slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
        Mailbox = options.Mailbox;
    }

    /// <summary>Gets the mailbox the relay sends as.</summary>
    public string Mailbox { get; }

    /// <summary>Sends one composed message and says what the queue must do next.</summary>
    /// <param name="message">The message (its large attachment parts are taken out to be uploaded).</param>
    /// <param name="decision">The relay's rules.</param>
    /// <param name="dequeueCount">How many times the queue message was delivered.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>Sent, Retry or a dead letter.</returns>
    public async Task<RelayOutcome> SendAsync(MimeMessage message, RelayDecision decision, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await transport.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return decision.Sent($"{result.Response} by Microsoft Graph as {result.Mailbox} ({result.Route}, request-id {result.RequestId ?? "none"})") with { MessageId = result.MessageId, StatusCode = 202 };
        }
        catch (GraphTransportException ex)
        {
            var outcome = decision.AfterFailure(ex, dequeueCount);
            if (ex.IsThrottling)
            {
                logger.LogWarning(
                    "Microsoft Graph is throttling mailbox {Mailbox} (Retry-After {RetryAfterSeconds} s); message {MessageId} is retried in {RetryInSeconds} s",
                    Mailbox,
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
