using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SmtpOps.Budgets;
using SmtpOps.Messages;
using SmtpOps.Smime;
using SmtpOps.Smtp;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// The relay's work for one queue message: read the envelope, apply the policy, make sure it is
/// not sent twice, submit it through the smarthost, and say what the queue must do next. It never
/// drops a message silently: the outcome is Sent, Duplicate, Retry (transient) or DeadLettered
/// (permanent, with a record in <c>&lt;queue&gt;-failed</c>). Thread-safe.
/// </summary>
public sealed class RelayProcessor : IDisposable
{
    private const int MaxInlineOriginalBytes = 40 * 1024;

    // Storage's "never expires" time-to-live for a queue message.
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    private readonly RelayProcessorOptions options;
    private readonly RelayDecision decision;
    private readonly RelayBlobStore blobs;
    private readonly RelayEnvelopeReader reader;
    private readonly QueueClient failed;
    private readonly IdempotencyLedger ledger;
    private readonly SmtpSubmitterPool submitters;
    private readonly GraphRelayTransport? graph;
    private readonly AcsRelayTransport? acs;
    private readonly Uri destination;
    private readonly SendingBudgetGate budget;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, bool> certificatesWarnedAbout = new(StringComparer.OrdinalIgnoreCase);
    private bool failedQueueCreated;

    /// <summary>Creates the processor over Storage clients.</summary>
    /// <param name="options">How to send.</param>
    /// <param name="attachments">The claim-check container.</param>
    /// <param name="failed">The dead-letter queue (Base64 encoding).</param>
    /// <param name="ledger">The idempotency ledger.</param>
    /// <param name="logger">Where structured logs go (never secrets; the SMTP transcript only at Debug).</param>
    /// <param name="budgetStore">Where the sending budget's use is kept: a <see cref="TableBudgetStore"/> on the ledger table to share it with every instance; this process's memory by default.</param>
    public RelayProcessor(RelayProcessorOptions options, BlobContainerClient attachments, QueueClient failed, IdempotencyLedger ledger, ILogger? logger = null, BudgetStore? budgetStore = null)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        decision = options.Decision;
        blobs = new RelayBlobStore(attachments ?? throw new ArgumentNullException(nameof(attachments)));
        reader = new RelayEnvelopeReader(blobs, options.Policy);
        this.failed = failed ?? throw new ArgumentNullException(nameof(failed));
        this.ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        this.logger = logger ?? NullLogger.Instance;
        var smarthost = options.Smarthost;
        if (this.logger.IsEnabled(LogLevel.Debug) && smarthost.TranscriptSink is null)
        {
            smarthost = smarthost with { TranscriptSink = line => this.logger.LogDebug("SMTP {Line}", line) };
        }

        submitters = new SmtpSubmitterPool(smarthost, options.MaxConnections, options.ReuseConnections);
        graph = options.Graph is { } graphOptions ? new GraphRelayTransport(graphOptions, options.MaxConnections, this.logger) : null;
        acs = options.Acs is { } acsOptions ? new AcsRelayTransport(acsOptions, options.MaxConnections, this.logger) : null;
        destination = acs?.Endpoint ?? options.Graph?.Endpoint ?? new UriBuilder("smtp", options.Smarthost.Host, options.Smarthost.EffectivePort).Uri;
        budget = new SendingBudgetGate(options.Budget, budgetStore ?? new MemoryBudgetStore(), options.ClaimLease);
    }

    /// <summary>Creates the processor for a Storage account given by connection string (Azurite's works too); the budget's use is shared through the ledger table.</summary>
    /// <param name="connectionString">The Storage connection string.</param>
    /// <param name="options">How to send.</param>
    /// <param name="logger">Where structured logs go.</param>
    /// <returns>The processor.</returns>
    public static RelayProcessor Create(string connectionString, RelayProcessorOptions options, ILogger? logger = null)
        => new(
            options,
            new BlobContainerClient(connectionString, RelayStorage.AttachmentContainerName(options.QueueName)),
            new QueueClient(connectionString, RelayStorage.FailedQueueName(options.QueueName), RelayStorage.QueueOptions()),
            new IdempotencyLedger(new TableClient(connectionString, RelayStorage.LedgerTableName(options.QueueName)), options.ClaimLease),
            logger,
            new TableBudgetStore(new TableClient(connectionString, RelayStorage.LedgerTableName(options.QueueName))));

    /// <summary>Processes one delivery of a queue message.</summary>
    /// <param name="delivery">The message and its dequeue count.</param>
    /// <param name="cancellationToken">Cancels the work (the host is stopping): the message is then left to the queue.</param>
    /// <returns>What the queue must do next.</returns>
    public async Task<RelayOutcome> ProcessAsync(RelayDelivery delivery, CancellationToken cancellationToken = default)
    {
        if (delivery is null)
        {
            throw new ArgumentNullException(nameof(delivery));
        }

        var clock = Stopwatch.StartNew();
        using var activity = RelayTelemetry.StartProcessing(delivery, options.QueueName);
        RelayOutcome outcome;
        try
        {
            outcome = await ProcessCoreAsync(delivery, cancellationToken).ConfigureAwait(false) with { Elapsed = clock.Elapsed };
        }
        catch (Exception ex) when (RelayTelemetry.Fail(activity, ex))
        {
            // Never taken: the filter only marks the span failed.
            throw;
        }

        RelayTelemetry.Complete(activity, outcome, options.QueueName, destination, viaGraph: graph is not null || acs is not null);
        logger.Log(
            outcome.Kind is RelayOutcomeKind.DeadLettered ? LogLevel.Error : outcome.Kind is RelayOutcomeKind.Retry ? LogLevel.Warning : LogLevel.Information,
            "Relay {Outcome} queue message {QueueMessageId} (Message-ID {MessageId}, attempt {Attempt}) in {ElapsedMs} ms: {Detail}",
            outcome.Kind,
            delivery.QueueMessageId,
            SingleLineText.Escape(outcome.MessageId),
            delivery.DequeueCount,
            (long)outcome.Elapsed.TotalMilliseconds,
            outcome.Detail);
        return outcome;
    }

    /// <summary>Gets the rules this processor decides by (and the queue handler postpones by).</summary>
    public RelayDecision Decision => decision;

    /// <summary>Gets how many smarthost connections this process may open now: <see cref="RelayProcessorOptions.MaxConnections"/>, lowered by one for each throttling reply (never below one).</summary>
    public int ConnectionLimit => submitters.ConnectionLimit;

    /// <summary>Closes the pooled smarthost connections (or the Graph transport's).</summary>
    public void Dispose()
    {
        submitters.Dispose();
        graph?.Dispose();
        budget.Dispose();
        acs?.Dispose();
    }

    // Reading, measuring and judging come before the ledger claim: a message refused here never holds a key. Once the
    // key is claimed, every way out either marks it sent (the smarthost's 250) or releases it, whatever is thrown.
    private async Task<RelayOutcome> ProcessCoreAsync(RelayDelivery delivery, CancellationToken cancellationToken)
    {
        RelayEnvelopeReader.EnvelopeRead read;
        try
        {
            read = await reader.ReadAsync(delivery.Text, cancellationToken).ConfigureAwait(false);
        }
        catch (RelayEnvelopeException ex)
        {
            return await ConcludeAsync(delivery, null, decision.InvalidEnvelope(ex.Message), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            return await ConcludeAsync(delivery, null, decision.AfterStorageFailure(StorageFailure(ex), delivery.DequeueCount), cancellationToken).ConfigureAwait(false);
        }

        if (read.Refusal is { } tooLarge)
        {
            return await ConcludeAsync(delivery, read, decision.PolicyRefused(tooLarge), cancellationToken).ConfigureAwait(false);
        }

        var envelope = read.Envelope;
        if (options.Policy.Check(envelope, read.MessageBytes, out var sender) is { } violation)
        {
            return await ConcludeAsync(delivery, read, decision.PolicyRefused(violation), cancellationToken).ConfigureAwait(false);
        }

        var claim = await ledger.ClaimAsync(sender, envelope.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        if (decision.AfterClaim(claim, envelope.IdempotencyKey, delivery.DequeueCount) is { } settled)
        {
            return await ConcludeAsync(delivery, read, settled, cancellationToken).ConfigureAwait(false);
        }

        var temporaryFiles = new List<string>();
        var sent = false;
        try
        {
            RelayOutcome outcome;
            try
            {
                var operationId = acs is null ? null : AcsRelayTransport.OperationIdFor(delivery.QueueMessageId, sender, envelope.IdempotencyKey);
                outcome = await SendAsync(envelope, await reader.ToMessageAsync(read, temporaryFiles, cancellationToken).ConfigureAwait(false), delivery.DequeueCount, operationId, cancellationToken).ConfigureAwait(false);
            }
            catch (RelayEnvelopeException ex)
            {
                outcome = decision.InvalidEnvelope(ex.Message);
            }
            catch (RequestFailedException ex)
            {
                outcome = decision.AfterStorageFailure(StorageFailure(ex), delivery.DequeueCount);
            }

            if (outcome.Kind == RelayOutcomeKind.Sent)
            {
                // Should marking fail, the claim stays and its lease protects the sent mail from an early second send.
                sent = true;
                await ledger.MarkSentAsync(sender, envelope.IdempotencyKey, outcome.MessageId ?? envelope.MessageId, outcome.Detail ?? string.Empty, outcome.OperationId, CancellationToken.None).ConfigureAwait(false);
            }

            return await ConcludeAsync(delivery, read, outcome, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Not sent (a failure, a refusal, cancellation, or anything unexpected on its way out): the next delivery
            // may send; a claim left behind would hold the message and every later one with its key until the lease ends.
            if (!sent)
            {
                await ledger.ReleaseAsync(sender, envelope.IdempotencyKey, CancellationToken.None).ConfigureAwait(false);
            }

            foreach (var file in temporaryFiles)
            {
                File.Delete(file);
            }
        }
    }

    // Composes and submits; the smarthost's answer or failure becomes an outcome through the decision.
    private async Task<RelayOutcome> SendAsync(RelayEnvelope envelope, MailMessageDefinition definition, long dequeueCount, string? operationId, CancellationToken cancellationToken)
    {
        MimeKit.MimeMessage message;
        try
        {
            message = MessageComposer.Compose(definition);
        }
        catch (MessageValidationException ex)
        {
            return decision.InvalidMessage(ex.Error, ex.Message);
        }

        using (message)
        {
            // Compose -> S/MIME (sign, then encrypt) -> submission.
            if (options.Smime is { } smime)
            {
                try
                {
                    SmimeProtector.Protect(message, smime, cancellationToken);
                }
                catch (SmimeException ex)
                {
                    return decision.SmimeRefused(ex.Message);
                }
            }

            // Admitted by the budget before the send, released after it: the budget counts what the service counts.
            var admission = await budget.AcquireAsync(definition.To.Count + definition.Cc.Count + definition.Bcc.Count, options.BudgetMaxHold, cancellationToken).ConfigureAwait(false);
            if (!admission.Admitted)
            {
                return decision.OverBudget(budget.Budget.ToString(), (admission.RetryAt ?? DateTimeOffset.UtcNow) - DateTimeOffset.UtcNow);
            }

            try
            {
                return await SendAdmittedAsync(envelope, message, dequeueCount, operationId, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await admission.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task<RelayOutcome> SendAdmittedAsync(RelayEnvelope envelope, MimeKit.MimeMessage message, long dequeueCount, string? operationId, CancellationToken cancellationToken)
    {
        if (acs is not null)
        {
            var sendingByAcs = RelayTelemetry.StartSend();
            var sentByAcs = await acs.SendAsync(message, operationId!, decision, dequeueCount, cancellationToken).ConfigureAwait(false);
            RelayTelemetry.EndSend(sendingByAcs, options.QueueName, sentByAcs.Kind);
            return sentByAcs;
        }

        if (graph is not null)
        {
            var sendingByGraph = RelayTelemetry.StartSend();
            var sent = await graph.SendAsync(message, decision, dequeueCount, cancellationToken).ConfigureAwait(false);
            RelayTelemetry.EndSend(sendingByGraph, options.QueueName, sent.Kind);
            return sent;
        }

        // DKIM per sender domain (Relay:Dkim): the last change to the message before it is submitted as is.
        var dkim = options.Dkim.Sign(message);
        var submitter = await submitters.RentAsync(cancellationToken).ConfigureAwait(false);
        var healthy = false;
        var sending = RelayTelemetry.StartSend();
        try
        {
            var result = await submitter.SendAsync(message, DeliveryNotification.None, cancellationToken).ConfigureAwait(false);
            RelayTelemetry.EndSend(sending, options.QueueName, RelayOutcomeKind.Sent);
            healthy = true;
            WarnAboutCertificate(result.Certificate);
            var rejected = result.Rejected.Count == 0 ? string.Empty : $"; refused recipients: {string.Join(", ", result.Rejected)}";
            var signed = dkim is null ? string.Empty : $"; DKIM {dkim}";
            return decision.Sent($"{result.StatusCode} {result.Response}{rejected}{signed}") with { MessageId = result.MessageId, StatusCode = result.StatusCode };
        }
        catch (SmtpSubmissionException ex)
        {
            healthy = ex.Kind is SmtpFailureKind.Transient or SmtpFailureKind.Permanent;
            var outcome = decision.AfterFailure(ex, dequeueCount);
            RelayTelemetry.EndSend(sending, options.QueueName, outcome.Kind);
            if (outcome.Kind == RelayOutcomeKind.Retry && ex.IsThrottling)
            {
                // The smarthost limits this mailbox (Exchange Online: 3 connections, 30 messages a minute):
                // fewer connections from now on, and this message waits for its backoff.
                var connections = submitters.LowerConnectionLimit();
                logger.LogWarning(
                    "Smarthost {Smarthost} is throttling ({StatusCode}): connections lowered to {ConnectionLimit} for this process; message {MessageId} is retried in {RetryAfterSeconds} s",
                    $"{options.Smarthost.Host}:{options.Smarthost.EffectivePort}",
                    ex.StatusCode,
                    connections,
                    SingleLineText.Escape(envelope.MessageId),
                    outcome.RetryAfter?.TotalSeconds);
                outcome = outcome with { Detail = $"Throttled (connections now {connections}): {ex.Message}" };
            }

            return outcome;
        }
        finally
        {
            await submitters.ReturnAsync(submitter, healthy).ConfigureAwait(false);
        }
    }

    // Does what the outcome asks of Storage: a dead-letter record (the message keeps its blobs until the record
    // is re-sent or removed), or the blobs of a message that is done (sent, or sent before). A retry leaves all as is.
    private async Task<RelayOutcome> ConcludeAsync(RelayDelivery delivery, RelayEnvelopeReader.EnvelopeRead? read, RelayOutcome outcome, CancellationToken cancellationToken)
    {
        // The detail quotes the envelope and the smarthost: one line wherever it is logged or recorded.
        outcome = outcome with { Detail = SingleLineText.Escape(outcome.Detail) };
        var envelope = read?.Envelope;
        switch (outcome.Kind)
        {
            case RelayOutcomeKind.DeadLettered:
                await DeadLetterAsync(delivery, envelope, outcome, cancellationToken).ConfigureAwait(false);
                break;
            case RelayOutcomeKind.Sent or RelayOutcomeKind.Duplicate:
                await reader.DeleteBlobsAsync(read!).ConfigureAwait(false);
                break;
        }

        return outcome with { EnvelopeId = envelope?.Id, MessageId = outcome.MessageId ?? envelope?.MessageId, EnqueuedAt = envelope?.CreatedAt };
    }

    // Once per certificate and instance: the smarthost's certificate is accepted with a reservation.
    private void WarnAboutCertificate(ServerCertificateDecision? certificate)
    {
        if (certificate is { WarrantsWarning: true } && certificatesWarnedAbout.TryAdd(certificate.Sha256Thumbprint, true))
        {
            logger.LogWarning("The smarthost's certificate {Thumbprint}: {Reason}. {Advice}", certificate.Thumbprint, certificate.Reason, certificate.Advice);
        }
    }

    private static string StorageFailure(RequestFailedException failure) => $"{failure.Status} {failure.ErrorCode}: {failure.Message.Split('\n')[0]}";

    private async Task DeadLetterAsync(RelayDelivery delivery, RelayEnvelope? envelope, RelayOutcome outcome, CancellationToken cancellationToken)
    {
        if (!failedQueueCreated)
        {
            try
            {
                await failed.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 403)
            {
                // A role scoped to the queue may not create it: the deployment did.
            }

            failedQueueCreated = true;
        }

        string? original = delivery.Text;
        string? originalBlob = null;
        if (RelayEnvelopeFormat.SizeOf(delivery.Text) > MaxInlineOriginalBytes)
        {
            // Named by the envelope's id (checked when read) or else the queue's own id; never by unchecked text.
            var id = envelope?.Id ?? (RelayBlobStore.IsEnvelopeId(delivery.QueueMessageId) ? delivery.QueueMessageId : RelayBlobStore.NewEnvelopeId());
            originalBlob = await blobs.WriteDeadLetterCopyAsync(id, delivery.Text, cancellationToken).ConfigureAwait(false);
            original = null;
        }

        var record = new DeadLetterRecord
        {
            Reason = outcome.Detail ?? string.Empty,
            Kind = outcome.DeadLetterKind ?? string.Empty,
            StatusCode = outcome.StatusCode,
            Attempts = delivery.DequeueCount,
            FailedAt = DateTimeOffset.UtcNow,
            QueueMessageId = delivery.QueueMessageId,
            EnvelopeId = envelope?.Id,
            IdempotencyKey = envelope?.IdempotencyKey,
            MessageId = SingleLineText.Escape(envelope?.MessageId),
            Enqueuer = SingleLineText.Escape(envelope?.Enqueuer),
            From = SingleLineText.Escape(envelope?.From),
            Subject = SingleLineText.Escape(envelope?.Subject),
            OriginalMessage = original,
            OriginalMessageBlob = originalBlob,
            OperationId = outcome.OperationId,
            ErrorCode = outcome.ErrorCode,
        };

        // A record never expires (a queue message's default time-to-live is 7 days): it stays until an operator
        // re-sends or removes it, and so do the message's blobs, which its original envelope points to.
        await failed.SendMessageAsync(RelayEnvelopeFormat.SerializeRecord(record), visibilityTimeout: null, timeToLive: NeverExpires, cancellationToken).ConfigureAwait(false);
    }
}
