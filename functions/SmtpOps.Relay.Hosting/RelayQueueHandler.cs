using System;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using SmtpOps.Relay.Processing;

namespace SmtpOps.Relay.Hosting;

/// <summary>
/// What a queue trigger does with one message, the same in the Function and the local WebJobs host:
/// run the relay processor, and on a transient failure make the message invisible for its own
/// backoff and throw so that the host keeps it. Over budget (Deferred) it enqueues a fresh copy invisible until the
/// budget's window and returns normally. On Sent, Duplicate and DeadLettered it returns normally and the host deletes the message.
/// </summary>
public sealed class RelayQueueHandler
{
    // Storage's longest visibility timeout is 7 days; its "never expires" time-to-live is -1 s.
    private static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);
    private static readonly Random Jitter = new();
    private readonly RelayProcessor processor;
    private readonly QueueClient queue;
    private readonly ILogger logger;

    /// <summary>Initializes a new instance of the <see cref="RelayQueueHandler"/> class.</summary>
    /// <param name="processor">The relay processor.</param>
    /// <param name="queue">The relay queue (with <see cref="RelayStorage.QueueOptions"/>), for the per-message backoff.</param>
    /// <param name="logger">The logger.</param>
    public RelayQueueHandler(RelayProcessor processor, QueueClient queue, ILogger logger)
    {
        this.processor = processor ?? throw new ArgumentNullException(nameof(processor));
        this.queue = queue ?? throw new ArgumentNullException(nameof(queue));
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Relays one queue message.</summary>
    /// <param name="message">The message as the trigger received it (its pop receipt is needed for a retry).</param>
    /// <param name="cancellationToken">The host's shutdown token.</param>
    /// <returns>The outcome; the host deletes the message when the task completes successfully.</returns>
    /// <exception cref="RelayRetryException">A transient failure: the message was made invisible for its backoff and must stay in the queue.</exception>
    public async Task<RelayOutcome> HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var delivery = new RelayDelivery
        {
            QueueMessageId = message.MessageId,
            Text = message.Body?.ToString() ?? string.Empty,
            DequeueCount = message.DequeueCount,
        };
        var outcome = await processor.ProcessAsync(delivery, cancellationToken).ConfigureAwait(false);
        if (outcome.Kind == RelayOutcomeKind.Deferred)
        {
            return await DeferAsync(message, outcome, cancellationToken).ConfigureAwait(false);
        }

        if (outcome.Kind != RelayOutcomeKind.Retry)
        {
            return outcome;
        }

        var retryAfter = outcome.RetryAfter ?? TimeSpan.Zero;
        if (!processor.Decision.MayPostpone(message.DequeueCount))
        {
            // The last delivery: the host moves the message to <queue>-poison and deletes it. Postponing
            // it here would change its pop receipt, the host's delete would miss, and it would come
            // back only to be copied to the poison queue a second time.
            throw new RelayRetryException($"Still failing at the last delivery ({message.DequeueCount} of {processor.Decision.MaxAttempts}), queue message {message.MessageId} goes to the poison queue: {outcome.Detail}")
            {
                QueueMessageId = message.MessageId,
            };
        }

        try
        {
            // Per-message backoff: the host's own visibilityTimeout is one value for every failure.
            // After this the host's pop receipt is stale, so its own release is a no-op it tolerates.
            await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: retryAfter, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            // The message is still in the queue: the host's visibilityTimeout applies instead.
            logger.LogWarning(
                "Could not postpone queue message {QueueMessageId} by {RetryAfterSeconds} s ({Status} {ErrorCode}); the host's visibility timeout applies",
                message.MessageId,
                retryAfter.TotalSeconds,
                ex.Status,
                ex.ErrorCode);
        }

        throw new RelayRetryException($"Transient failure, queue message {message.MessageId} comes back in {retryAfter.TotalSeconds:0.#} s (attempt {message.DequeueCount}): {outcome.Detail}")
        {
            RetryAfter = retryAfter,
            QueueMessageId = message.MessageId,
        };
    }

    // Over budget: the same message goes back as a fresh copy, invisible until its window (a little later for some, so
    // that the copies do not all come back at once), and this one completes: the host deletes it. A copy starts with a
    // dequeue count of 0, so waiting for the budget never uses up delivery attempts (making this one invisible and
    // throwing would: Storage counts every receive). Should the host die before its delete, the ledger makes the second
    // copy a duplicate, not a second mail. It never expires: a day's budget may hold it for a day.
    private async Task<RelayOutcome> DeferAsync(QueueMessage message, RelayOutcome outcome, CancellationToken cancellationToken)
    {
        var wait = outcome.RetryAfter ?? TimeSpan.Zero;
        int spread;
        lock (Jitter)
        {
            spread = Jitter.Next(0, (int)Math.Min(30_000, Math.Max(1, wait.TotalMilliseconds / 4)) + 1);
        }

        var visibility = TimeSpan.FromSeconds(Math.Ceiling(Math.Min(MaxVisibility.TotalSeconds, wait.TotalSeconds + (spread / 1000.0))));
        if (visibility < TimeSpan.FromSeconds(1))
        {
            visibility = TimeSpan.FromSeconds(1);
        }

        var copy = await queue.SendMessageAsync(message.Body, visibility, NeverExpires, cancellationToken).ConfigureAwait(false);
        logger.LogInformation(
            "Queue message {QueueMessageId} is over budget: it comes back in {VisibilitySeconds} s as queue message {CopyMessageId} (attempt {Attempt} not counted): {Detail}",
            message.MessageId,
            visibility.TotalSeconds,
            copy.Value.MessageId,
            message.DequeueCount,
            outcome.Detail);
        return outcome;
    }
}
