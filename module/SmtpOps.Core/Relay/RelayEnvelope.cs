using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;
using SmtpOps.Messages;

namespace SmtpOps.Relay;

/// <summary>
/// The relay's queue contract, schema version 1: one mail to submit, as JSON in a Base64-encoded
/// Azure Storage queue message. Written by <see cref="SmtpRelayClient"/> and read by
/// the relay (SmtpOps.Relay.Processing) only, through <see cref="RelayEnvelopeFormat"/>, so that
/// enqueuers and the relay cannot drift apart. Fields added within a version are optional, so that envelopes
/// written before them still read (<see cref="TraceParent"/> and <see cref="TraceState"/> came later in version 1).
/// </summary>
public sealed class RelayEnvelope
{
    /// <summary>The schema version this library writes and reads.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>Gets the schema version.</summary>
    [JsonPropertyOrder(-2)]
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>
    /// Gets the W3C trace context (<c>traceparent</c>) of the enqueue, so that the relay's span continues the
    /// enqueuer's trace; <c>null</c> when the enqueuer traced nothing (and in envelopes written before this field).
    /// Written right after the schema version, so the relay finds it without reading the rest.
    /// </summary>
    [JsonPropertyOrder(-1)]
    public string? TraceParent { get; init; }

    /// <summary>Gets the W3C <c>tracestate</c> that goes with <see cref="TraceParent"/>, when there is one.</summary>
    [JsonPropertyOrder(-1)]
    public string? TraceState { get; init; }

    /// <summary>
    /// Gets the envelope id (also the blob folder of its claim checks): 1 to 64 letters, digits, <c>-</c> or <c>_</c>
    /// (<see cref="RelayBlobStore.IsEnvelopeId"/>); an envelope with another id is refused when read.
    /// </summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>Gets the key that makes redelivery safe: one key is sent at most once (defaults to the Message-ID).</summary>
    public string IdempotencyKey { get; init; } = string.Empty;

    /// <summary>Gets the Message-ID the relayed mail carries (without angle brackets).</summary>
    public string? MessageId { get; init; }

    /// <summary>Gets when the message was enqueued (the start of its time in the queue).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets who enqueued it (an application name or identity), for the operator.</summary>
    public string? Enqueuer { get; init; }

    /// <summary>
    /// Gets the blob that holds the whole envelope when it exceeded the queue's size (exactly
    /// <see cref="RelayBlobStore.EnvelopeBlobName"/> of <see cref="Id"/>); then only Id, IdempotencyKey and this are set.
    /// </summary>
    public string? EnvelopeBlob { get; init; }

    /// <summary>Gets the sender.</summary>
    public string From { get; init; } = string.Empty;

    /// <summary>Gets the To recipients.</summary>
    public IReadOnlyList<string> To { get; init; } = Array.Empty<string>();

    /// <summary>Gets the Cc recipients.</summary>
    public IReadOnlyList<string> Cc { get; init; } = Array.Empty<string>();

    /// <summary>Gets the Bcc recipients.</summary>
    public IReadOnlyList<string> Bcc { get; init; } = Array.Empty<string>();

    /// <summary>Gets the Reply-To addresses.</summary>
    public IReadOnlyList<string> ReplyTo { get; init; } = Array.Empty<string>();

    /// <summary>Gets the subject.</summary>
    public string Subject { get; init; } = string.Empty;

    /// <summary>Gets the plain-text body, or <c>null</c>.</summary>
    public string? TextBody { get; init; }

    /// <summary>Gets the HTML body, or <c>null</c>.</summary>
    public string? HtmlBody { get; init; }

    /// <summary>Gets additional header fields.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the priority.</summary>
    public MessagePriority Priority { get; init; } = MessagePriority.Normal;

    /// <summary>Gets the attachments and inline parts.</summary>
    public IReadOnlyList<RelayAttachment> Attachments { get; init; } = Array.Empty<RelayAttachment>();

    /// <summary>
    /// Gets the message this envelope describes, for the composer: the relay's half of the one mapping between a message
    /// and its envelope (<see cref="FromMessage"/> is the enqueuer's), so that a field added to both touches this file.
    /// </summary>
    /// <param name="attachments">The attachments, their content resolved from <see cref="Attachments"/> (inline or claim check).</param>
    /// <returns>The message definition.</returns>
    public MailMessageDefinition ToMessage(IReadOnlyList<MailAttachment> attachments) => new()
    {
        From = From,
        To = To,
        Cc = Cc,
        Bcc = Bcc,
        ReplyTo = ReplyTo,
        Subject = Subject,
        TextBody = TextBody,
        HtmlBody = HtmlBody,
        Headers = Headers,
        Priority = Priority,
        Attachments = attachments ?? throw new ArgumentNullException(nameof(attachments)),
        MessageId = MessageId,
    };

    /// <summary>Makes the envelope of a validated message: the enqueuer's half of the mapping (see <see cref="ToMessage"/>).</summary>
    /// <param name="message">The message.</param>
    /// <param name="id">The envelope id.</param>
    /// <param name="messageId">The Message-ID it was composed with.</param>
    /// <param name="idempotencyKey">The idempotency key.</param>
    /// <param name="attachments">The attachments as they travel (inline or claim check).</param>
    /// <param name="enqueuer">Who enqueues it.</param>
    /// <param name="traceParent">The enqueue's W3C traceparent, or <c>null</c>.</param>
    /// <param name="traceState">Its tracestate, or <c>null</c>.</param>
    /// <returns>The envelope.</returns>
    internal static RelayEnvelope FromMessage(MailMessageDefinition message, string id, string messageId, string idempotencyKey, IReadOnlyList<RelayAttachment> attachments, string? enqueuer, string? traceParent, string? traceState) => new()
    {
        TraceParent = traceParent,
        TraceState = traceState,
        Id = id,
        IdempotencyKey = idempotencyKey,
        MessageId = messageId,
        CreatedAt = DateTimeOffset.UtcNow,
        Enqueuer = enqueuer,
        From = message.From,
        To = message.To,
        Cc = message.Cc,
        Bcc = message.Bcc,
        ReplyTo = message.ReplyTo,
        Subject = message.Subject,
        TextBody = message.TextBody,
        HtmlBody = message.HtmlBody,
        Headers = message.Headers,
        Priority = message.Priority,
        Attachments = attachments,
    };
}
