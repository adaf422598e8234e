using System;
using System.Buffers;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Relay;

/// <summary>Reads and writes <see cref="RelayEnvelope"/> JSON; the only place that knows the wire format.</summary>
public static class RelayEnvelopeFormat
{
    /// <summary>
    /// The largest envelope that travels in the queue message itself: 48 KiB of JSON becomes
    /// 64 KiB once the queue message is Base64-encoded, the Storage queue's limit.
    /// </summary>
    public const int MaxQueuePayloadBytes = 48 * 1024;

    // The relaxed encoder escapes only what JSON requires (quotes, backslashes, control characters): HTML bodies and
    // non-ASCII text keep their size, which the size limits measure. No JSON here is ever embedded in HTML.
    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes the envelope as JSON.</summary>
    /// <param name="envelope">The envelope.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(RelayEnvelope envelope) => JsonSerializer.Serialize(envelope, Options);

    /// <summary>Writes a dead-letter record as JSON, in the same conventions as envelopes.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The JSON text.</returns>
    public static string SerializeRecord(DeadLetterRecord record) => JsonSerializer.Serialize(record, Options);

    /// <summary>Reads a dead-letter record.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The record.</returns>
    public static DeadLetterRecord DeserializeRecord(string json) => JsonSerializer.Deserialize<DeadLetterRecord>(json, Options)!;

    /// <summary>Gets the UTF-8 size of the JSON text.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The size in bytes.</returns>
    public static int SizeOf(string json) => Encoding.UTF8.GetByteCount(json);

    /// <summary>Reads an envelope, refusing anything but a complete schema-version-1 envelope.</summary>
    /// <param name="json">The queue message text.</param>
    /// <returns>The envelope.</returns>
    /// <exception cref="RelayEnvelopeException">The text is not a usable envelope.</exception>
    public static RelayEnvelope Deserialize(string json)
    {
        int version;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("schemaVersion", out var versionElement)
                || !versionElement.TryGetInt32(out version))
            {
                throw new RelayEnvelopeException(RelayEnvelopeError.Malformed, "The message is not a relay envelope (no schemaVersion).");
            }
        }
        catch (JsonException ex)
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Malformed, $"The message is not JSON: {ex.Message}", ex);
        }

        if (version != RelayEnvelope.CurrentSchemaVersion)
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.UnknownVersion, $"Envelope schema version {version} is not supported (this relay reads version {RelayEnvelope.CurrentSchemaVersion}).");
        }

        RelayEnvelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<RelayEnvelope>(json, Options);
        }
        catch (JsonException ex)
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Malformed, $"The envelope does not match schema version 1: {ex.Message}", ex);
        }

        Validate(envelope!);
        return envelope!;
    }

    /// <summary>
    /// Reads a whole envelope from a stream (an oversized envelope's blob) without holding its text: the same rules as
    /// <see cref="Deserialize"/>, and it must not itself be a claim check.
    /// </summary>
    /// <param name="json">The JSON stream; the caller bounds its length.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The envelope.</returns>
    /// <exception cref="RelayEnvelopeException">The stream does not hold a usable, complete envelope.</exception>
    public static async Task<RelayEnvelope> DeserializeAsync(Stream json, CancellationToken cancellationToken = default)
    {
        RelayEnvelope? envelope;
        try
        {
            envelope = await JsonSerializer.DeserializeAsync<RelayEnvelope>(json, Options, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Malformed, $"The envelope blob is not a schema version 1 envelope: {ex.Message}", ex);
        }

        if (envelope is null || envelope.SchemaVersion != RelayEnvelope.CurrentSchemaVersion || envelope.EnvelopeBlob is not null)
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, "The envelope blob does not hold a complete schema version 1 envelope.");
        }

        Validate(envelope);
        return envelope;
    }

    /// <summary>
    /// Reads the W3C trace context an envelope carries (<see cref="RelayEnvelope.TraceParent"/> and
    /// <see cref="RelayEnvelope.TraceState"/>) from the start of its JSON only, where <see cref="Serialize"/> puts it,
    /// without reading the rest: cheap enough to run before the envelope itself is read, so that the relay's span
    /// covers the whole delivery. Anything else (no trace context, another property first, not JSON) gives <c>false</c>.
    /// </summary>
    /// <param name="json">The queue message text.</param>
    /// <param name="traceParent">The <c>traceparent</c>, or <c>null</c>.</param>
    /// <param name="traceState">The <c>tracestate</c>, or <c>null</c>.</param>
    /// <returns>Whether a <c>traceparent</c> was found.</returns>
    public static bool TryReadTraceContext(string json, out string? traceParent, out string? traceState)
    {
        traceParent = null;
        traceState = null;
        if (string.IsNullOrEmpty(json))
        {
            return false;
        }

        // schemaVersion, traceParent (55 characters) and traceState (at most 512 by the W3C rules) come first.
        var length = Math.Min(json.Length, 1024);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(length));
        try
        {
            var count = Encoding.UTF8.GetBytes(json, 0, length, buffer, 0);
            var reader = new Utf8JsonReader(new ReadOnlySpan<byte>(buffer, 0, count), isFinalBlock: length == json.Length, default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isParent = reader.ValueTextEquals("traceParent");
                var isState = !isParent && reader.ValueTextEquals("traceState");
                if (!isParent && !isState && !reader.ValueTextEquals("schemaVersion"))
                {
                    break;
                }

                if (!reader.Read())
                {
                    break;
                }

                if (reader.TokenType == JsonTokenType.String && (isParent || isState))
                {
                    if (isParent)
                    {
                        traceParent = reader.GetString();
                    }
                    else
                    {
                        traceState = reader.GetString();
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON at its start: the envelope reader says so in full later.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return traceParent is not null;
    }

    private static void Validate(RelayEnvelope envelope)
    {
        if (string.IsNullOrWhiteSpace(envelope.Id) || string.IsNullOrWhiteSpace(envelope.IdempotencyKey))
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, "The envelope has no id or idempotency key.");
        }

        if (RelayBlobStore.ProblemWithNames(envelope) is { } problem)
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, problem);
        }

        if (envelope.EnvelopeBlob is not null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(envelope.From) || envelope.To.Count + envelope.Cc.Count + envelope.Bcc.Count == 0)
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, "The envelope has no sender or no recipient.");
        }

        if (envelope.Attachments.Any(a => string.IsNullOrEmpty(a.FileName) || (a.Content is null) == (a.Blob is null)))
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, "Every attachment needs a file name and exactly one of content or blob.");
        }
    }
}
