using System.Diagnostics;

namespace SmtpOps.Relay;

/// <summary>
/// The relay's OpenTelemetry names, shared by the enqueuer (<see cref="SmtpRelayClient"/>) and the relay: one
/// <see cref="System.Diagnostics.ActivitySource"/> and one meter, both named <see cref="SourceName"/>, and the
/// attribute names their spans and metrics carry (the OpenTelemetry messaging conventions' <c>messaging.*</c>
/// names, and <c>smtpops.*</c> for what those do not cover). No attribute ever holds an address, a subject or a body.
/// </summary>
public static class RelayDiagnostics
{
    /// <summary>The name of the relay's activity source and meter: what a tracer or meter provider subscribes to.</summary>
    public const string SourceName = "SmtpOps.Relay";

    /// <summary>
    /// The <c>messaging.system</c> value: Azure Queue Storage has no well-known value in the OpenTelemetry messaging
    /// conventions, which then allow a custom one; spelled like <c>aws_sqs</c> and <c>gcp_pubsub</c>.
    /// </summary>
    public const string MessagingSystem = "azure_queue_storage";

    /// <summary>The messaging system (<see cref="MessagingSystem"/>).</summary>
    public const string MessagingSystemAttribute = "messaging.system";

    /// <summary>The operation's name: <c>send</c> (enqueue) or <c>process</c> (relay).</summary>
    public const string OperationNameAttribute = "messaging.operation.name";

    /// <summary>The operation's type: <c>send</c> or <c>process</c>.</summary>
    public const string OperationTypeAttribute = "messaging.operation.type";

    /// <summary>The relay queue's name.</summary>
    public const string DestinationNameAttribute = "messaging.destination.name";

    /// <summary>The queue message id Storage gave the message.</summary>
    public const string MessageIdAttribute = "messaging.message.id";

    /// <summary>The size of the queue message's text in bytes (enqueue).</summary>
    public const string BodySizeAttribute = "messaging.message.body.size";

    /// <summary>How many times the queue has delivered the message, this delivery included (the attempt).</summary>
    public const string DequeueCountAttribute = "messaging.azure_queue_storage.message.dequeue_count";

    /// <summary>The mail's Message-ID (without angle brackets).</summary>
    public const string MailMessageIdAttribute = "smtpops.mail.message_id";

    /// <summary>The relay envelope's id.</summary>
    public const string EnvelopeIdAttribute = "smtpops.relay.envelope_id";

    /// <summary>What became of the delivery: Sent, Duplicate, Retry or DeadLettered.</summary>
    public const string OutcomeAttribute = "smtpops.relay.outcome";

    /// <summary>The low-cardinality reason of a retry, dead letter or duplicate (a kind, never a server's text).</summary>
    public const string ReasonAttribute = "smtpops.relay.reason";

    /// <summary>The smarthost's SMTP reply code, when it answered.</summary>
    public const string SmtpStatusCodeAttribute = "smtpops.smtp.status_code";

    /// <summary>Microsoft Graph's HTTP status code, when the relay sends through Graph (Relay:Transport Graph).</summary>
    public const string HttpStatusCodeAttribute = "http.response.status_code";

    /// <summary>The smarthost's host name (Graph's, with Relay:Transport Graph).</summary>
    public const string SmarthostAddressAttribute = "smtpops.smarthost.address";

    /// <summary>The smarthost's port (Graph's, with Relay:Transport Graph).</summary>
    public const string SmarthostPortAttribute = "smtpops.smarthost.port";

    /// <summary>The OpenTelemetry <c>error.type</c>: the class of a failure (a kind or an exception type).</summary>
    public const string ErrorTypeAttribute = "error.type";

    /// <summary>Gets the relay's activity source: Producer spans around an enqueue, Consumer spans around a relayed message.</summary>
    public static ActivitySource ActivitySource { get; } = new(SourceName, typeof(RelayDiagnostics).Assembly.GetName().Version?.ToString());
}
