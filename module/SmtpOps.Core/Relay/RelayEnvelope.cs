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

    /// <summary>Gets the envelope id (also the blob folder of its claim checks).</summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>Gets the key that makes redelivery safe: one key is sent at most once (defaults to the Message-ID).</summary>
    public string IdempotencyKey { get; init; } = string.Empty;

    /// <summary>Gets the Message-ID the relayed mail carries (without angle brackets).</summary>
    public string? MessageId { get; init; }

    /// <summary>Gets when the message was enqueued (the start of its time in the queue).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets who enqueued it (an application name or identity), for the operator.</summary>
    public string? Enqueuer { get; init; }

    /// <summary>Gets the blob that holds the whole envelope when it exceeded the queue's size; then only Id, IdempotencyKey and this are set.</summary>
    public string? EnvelopeBlob { get; init; }

    /// <summary>
    /// Gets or sets the blob the relay read this whole envelope from (the claim check of an oversized
    /// one), so that it deletes that blob with the attachments; internal, so never part of the JSON.
    /// </summary>
    internal string? ReadFromBlob { get; set; }

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
}
