using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SmtpOps.Relay.Processing;

/// <summary>
/// The relay's spans and metrics: one Consumer span "process &lt;queue&gt;" per delivery on
/// <see cref="RelayDiagnostics.ActivitySource"/>, parented on the trace context the envelope carries (the enqueue's
/// Producer span, so one trace runs from the enqueuer to the smarthost's reply), and the counters and histograms of
/// the meter <see cref="MeterName"/>. Costs nothing measurable without a listener: no span, no tag list, no clock
/// reading unless something subscribes. Tags are ids, kinds and codes, never an address, subject or body.
/// </summary>
public static class RelayTelemetry
{
    /// <summary>The meter's name (the same as the activity source's).</summary>
    public const string MeterName = RelayDiagnostics.SourceName;

    /// <summary>Counter: messages the smarthost accepted.</summary>
    public const string SentName = "smtpops.relay.messages.sent";

    /// <summary>Counter: deliveries that failed transiently and go back to the queue, by <see cref="RelayDiagnostics.ReasonAttribute"/> (InFlight, Throttled, or the SMTP failure kind).</summary>
    public const string RetriedName = "smtpops.relay.messages.retried";

    /// <summary>Counter: messages dead-lettered, by <see cref="RelayDiagnostics.ReasonAttribute"/> (the dead-letter kind: Envelope, Policy, Message, Smtp, GaveUp).</summary>
    public const string DeadLetteredName = "smtpops.relay.messages.dead_lettered";

    /// <summary>Counter: redeliveries of messages sent already, not sent again (reason AlreadySent).</summary>
    public const string DuplicatesName = "smtpops.relay.messages.duplicates";

    /// <summary>Histogram (seconds): one submission to the smarthost, from the first command to its reply, by <see cref="RelayDiagnostics.OutcomeAttribute"/>.</summary>
    public const string SendDurationName = "smtpops.relay.send.duration";

    /// <summary>Histogram (seconds): from the enqueue (the envelope's creation time) to the smarthost's acceptance.</summary>
    public const string TimeInQueueName = "smtpops.relay.queue.time";

    /// <summary>The reason of every duplicate: the idempotency ledger says it was sent.</summary>
    public const string AlreadySentReason = "AlreadySent";

    private static readonly Meter Meter = new(MeterName, typeof(RelayTelemetry).Assembly.GetName().Version?.ToString());
    private static readonly Counter<long> Sent = Meter.CreateCounter<long>(SentName, "{message}", "Messages the smarthost accepted.");
    private static readonly Counter<long> Retried = Meter.CreateCounter<long>(RetriedName, "{message}", "Deliveries that failed transiently and go back to the queue.");
    private static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>(DeadLetteredName, "{message}", "Messages dead-lettered (a record in <queue>-failed).");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>(DuplicatesName, "{message}", "Redeliveries of messages sent already, not sent again.");

    private static readonly Histogram<double> SendDuration = Meter.CreateHistogram(
        SendDurationName,
        "s",
        "One submission to the smarthost.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = new[] { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 } });

    private static readonly Histogram<double> TimeInQueue = Meter.CreateHistogram(
        TimeInQueueName,
        "s",
        "From the enqueue to the smarthost's acceptance.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = new[] { 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400 } });

    /// <summary>
    /// Starts the Consumer span of one delivery, or returns <c>null</c> when nothing listens. Its parent is the
    /// envelope's trace context (the messaging conventions' creation context), also added as a link as they ask; a
    /// host's own span around the invocation (the Functions worker's), when it belongs to another trace, is linked.
    /// </summary>
    /// <param name="delivery">The delivery.</param>
    /// <param name="queueName">The relay queue.</param>
    /// <returns>The span, or <c>null</c>.</returns>
    internal static Activity? StartProcessing(RelayDelivery delivery, string queueName)
    {
        var source = RelayDiagnostics.ActivitySource;
        if (!source.HasListeners())
        {
            return null;
        }

        ActivityContext creation = default;
        if (RelayEnvelopeFormat.TryReadTraceContext(delivery.Text, out var traceParent, out var traceState))
        {
            ActivityContext.TryParse(traceParent, traceState, isRemote: true, out creation);
        }

        List<ActivityLink>? links = null;
        if (creation != default)
        {
            links = new List<ActivityLink>(2) { new(creation) };
            if (Activity.Current is { } host && host.TraceId != creation.TraceId)
            {
                links.Add(new ActivityLink(host.Context));
            }
        }

        var tags = new ActivityTagsCollection
        {
            [RelayDiagnostics.MessagingSystemAttribute] = RelayDiagnostics.MessagingSystem,
            [RelayDiagnostics.OperationNameAttribute] = "process",
            [RelayDiagnostics.OperationTypeAttribute] = "process",
            [RelayDiagnostics.DestinationNameAttribute] = queueName,
            [RelayDiagnostics.MessageIdAttribute] = delivery.QueueMessageId,
            [RelayDiagnostics.DequeueCountAttribute] = delivery.DequeueCount,
        };

        // Without a creation context the span's parent is the current activity, if any (a new root otherwise).
        return source.StartActivity($"process {queueName}", ActivityKind.Consumer, creation, tags, links);
    }

    /// <summary>Records what became of a delivery: the counters, the time in the queue, and the span's outcome tags and status.</summary>
    /// <param name="activity">The delivery's span, or <c>null</c>.</param>
    /// <param name="outcome">The outcome.</param>
    /// <param name="queueName">The relay queue.</param>
    /// <param name="destination">Where it was (or would have been) sent: the smarthost, or Microsoft Graph.</param>
    /// <param name="viaGraph">Whether the status code is Graph's HTTP status rather than an SMTP reply code.</param>
    internal static void Complete(Activity? activity, RelayOutcome outcome, string queueName, Uri destination, bool viaGraph)
    {
        var queue = new KeyValuePair<string, object?>(RelayDiagnostics.DestinationNameAttribute, queueName);
        switch (outcome.Kind)
        {
            case RelayOutcomeKind.Sent:
                Sent.Add(1, queue);
                if (TimeInQueue.Enabled && outcome.EnqueuedAt is { } enqueuedAt && enqueuedAt != default)
                {
                    TimeInQueue.Record(Math.Max(0, (DateTimeOffset.UtcNow - enqueuedAt).TotalSeconds), queue);
                }

                break;
            case RelayOutcomeKind.Retry:
                Retried.Add(1, queue, new(RelayDiagnostics.ReasonAttribute, outcome.RetryReason));
                break;
            case RelayOutcomeKind.DeadLettered:
                DeadLettered.Add(1, queue, new(RelayDiagnostics.ReasonAttribute, outcome.DeadLetterKind));
                break;
            case RelayOutcomeKind.Duplicate:
                Duplicates.Add(1, queue, new(RelayDiagnostics.ReasonAttribute, AlreadySentReason));
                break;
        }

        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        var reason = Reason(outcome);
        activity.SetTag(RelayDiagnostics.OutcomeAttribute, OutcomeName(outcome.Kind));
        activity.SetTag(RelayDiagnostics.ReasonAttribute, reason);
        activity.SetTag(RelayDiagnostics.EnvelopeIdAttribute, outcome.EnvelopeId);
        activity.SetTag(RelayDiagnostics.MailMessageIdAttribute, outcome.MessageId);
        activity.SetTag(viaGraph ? RelayDiagnostics.HttpStatusCodeAttribute : RelayDiagnostics.SmtpStatusCodeAttribute, outcome.StatusCode);
        activity.SetTag(RelayDiagnostics.SmarthostAddressAttribute, destination.Host);
        activity.SetTag(RelayDiagnostics.SmarthostPortAttribute, destination.Port);
        if (outcome.Kind is RelayOutcomeKind.Retry or RelayOutcomeKind.DeadLettered)
        {
            // The reason class, never the detail: a server's reply may name the recipient.
            activity.SetTag(RelayDiagnostics.ErrorTypeAttribute, reason);
            activity.SetStatus(ActivityStatusCode.Error, $"{OutcomeName(outcome.Kind)}: {reason}");
        }
    }

    /// <summary>Marks the span of a delivery that ended in an exception (cancellation, Storage unreachable): returns <c>false</c> so the exception goes on.</summary>
    /// <param name="activity">The delivery's span, or <c>null</c>.</param>
    /// <param name="exception">The exception.</param>
    /// <returns><c>false</c>.</returns>
    internal static bool Fail(Activity? activity, Exception exception)
    {
        if (activity is not null)
        {
            activity.SetTag(RelayDiagnostics.ErrorTypeAttribute, exception.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        }

        return false;
    }

    /// <summary>Starts timing one submission: a timestamp, or 0 when nothing records the send duration.</summary>
    /// <returns>The timestamp.</returns>
    internal static long StartSend() => SendDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records one submission's duration, started by <see cref="StartSend"/>.</summary>
    /// <param name="started">The timestamp (0: not timed).</param>
    /// <param name="queueName">The relay queue.</param>
    /// <param name="kind">What became of it.</param>
    internal static void EndSend(long started, string queueName, RelayOutcomeKind kind)
    {
        if (started != 0)
        {
            SendDuration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>(RelayDiagnostics.DestinationNameAttribute, queueName),
                new KeyValuePair<string, object?>(RelayDiagnostics.OutcomeAttribute, OutcomeName(kind)));
        }
    }

    private static string? Reason(RelayOutcome outcome) => outcome.Kind switch
    {
        RelayOutcomeKind.Retry or RelayOutcomeKind.Deferred => outcome.RetryReason,
        RelayOutcomeKind.DeadLettered => outcome.DeadLetterKind,
        RelayOutcomeKind.Duplicate => AlreadySentReason,
        _ => null,
    };

    // Names without Enum.ToString's allocation.
    private static string OutcomeName(RelayOutcomeKind kind) => kind switch
    {
        RelayOutcomeKind.Sent => nameof(RelayOutcomeKind.Sent),
        RelayOutcomeKind.Duplicate => nameof(RelayOutcomeKind.Duplicate),
        RelayOutcomeKind.Retry => nameof(RelayOutcomeKind.Retry),
        RelayOutcomeKind.Deferred => nameof(RelayOutcomeKind.Deferred),
        _ => nameof(RelayOutcomeKind.DeadLettered),
    };
}
