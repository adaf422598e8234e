using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MimeKit;
using SmtpOps.Identity;
using SmtpOps.Messages;

namespace SmtpOps.Relay;

/// <summary>
/// Enqueues mail for the relay Function: validates the message exactly as a direct send would,
/// writes a <see cref="RelayEnvelope"/> to the queue (Base64-encoded, as the Functions queue
/// trigger expects) and moves content that does not fit in a queue message to blobs.
/// </summary>
public sealed class SmtpRelayClient
{
    private readonly QueueClient queue;
    private readonly RelayBlobStore blobs;
    private bool created;

    /// <summary>
    /// Tells whether an exception is the Storage service refusing or failing a request
    /// (<see cref="RequestFailedException"/>, also inside the <see cref="AggregateException"/> the SDK
    /// throws after its retries, or a <see cref="RelayStorageException"/>), with its HTTP status and
    /// error code, for callers that must not bind to Azure.Core themselves (the PowerShell module loads
    /// Core in its own load context).
    /// </summary>
    /// <param name="exception">The exception.</param>
    /// <param name="status">The HTTP status (0: no response).</param>
    /// <param name="errorCode">The Storage error code, if any.</param>
    /// <returns>Whether it is a Storage request failure.</returns>
    public static bool IsStorageFailure(Exception exception, out int status, out string? errorCode)
    {
        if (exception is RelayStorageException relay)
        {
            status = relay.Status;
            errorCode = relay.ErrorCode;
            return relay.Kind != RelayStorageFailureKind.InvalidConnectionString;
        }

        if (LastRequestFailure(exception, out _) is { } failure)
        {
            status = failure.Status;
            errorCode = failure.ErrorCode;
            return true;
        }

        status = 0;
        errorCode = null;
        return false;
    }

    /// <summary>Creates a client over existing Storage clients.</summary>
    /// <param name="queue">The relay queue; it must use <see cref="QueueMessageEncoding.Base64"/>.</param>
    /// <param name="blobs">The container for content too large for a queue message.</param>
    public SmtpRelayClient(QueueClient queue, BlobContainerClient blobs)
    {
        this.queue = queue ?? throw new ArgumentNullException(nameof(queue));
        this.blobs = new RelayBlobStore(blobs ?? throw new ArgumentNullException(nameof(blobs)));
    }

    /// <summary>Gets or sets the name recorded as the enqueuer (an application name or identity).</summary>
    public string? Enqueuer { get; set; }

    /// <summary>Creates a client from a Storage connection string (Azurite's works too).</summary>
    /// <param name="connectionString">The Storage connection string.</param>
    /// <param name="queueName">The relay queue.</param>
    /// <param name="containerName">The attachment container; defaults to <c>&lt;queue&gt;-attachments</c>.</param>
    /// <param name="retry">How failed Storage requests are retried; defaults to <see cref="StorageRetryPolicy.Default"/> (3 tries within about 2 s).</param>
    /// <returns>The client.</returns>
    /// <exception cref="RelayStorageException">The connection string cannot be parsed (<see cref="RelayStorageFailureKind.InvalidConnectionString"/>); the message does not repeat it.</exception>
    public static SmtpRelayClient Create(string connectionString, string queueName, string? containerName = null, StorageRetryPolicy? retry = null)
    {
        var policy = retry ?? StorageRetryPolicy.Default;
        try
        {
            return new(
                new QueueClient(connectionString, queueName, policy.ApplyTo(RelayStorage.QueueOptions())),
                new BlobContainerClient(connectionString, containerName ?? RelayStorage.AttachmentContainerName(queueName), policy.ApplyTo(new BlobClientOptions())));
        }
        catch (FormatException ex)
        {
            // The SDK's parser says what is wrong without repeating the string (which holds the key).
            throw new RelayStorageException(
                RelayStorageFailureKind.InvalidConnectionString,
                $"The Storage connection string for relay queue '{queueName}' is malformed: {ex.Message} Expected 'DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net', a 'BlobEndpoint=...;QueueEndpoint=...;SharedAccessSignature=...' string, or 'UseDevelopmentStorage=true'.",
                ex)
            {
                Queue = queueName,
            };
        }
    }

    /// <summary>Creates a client for a managed identity or any other Entra ID credential.</summary>
    /// <param name="queueUri">The queue URI, e.g. https://account.queue.core.windows.net/mail.</param>
    /// <param name="containerUri">The attachment container URI.</param>
    /// <param name="credential">The credential (e.g. DefaultAzureCredential).</param>
    /// <param name="retry">How failed Storage requests are retried; defaults to <see cref="StorageRetryPolicy.Default"/>.</param>
    /// <returns>The client.</returns>
    public static SmtpRelayClient Create(Uri queueUri, Uri containerUri, TokenCredential credential, StorageRetryPolicy? retry = null)
    {
        var policy = retry ?? StorageRetryPolicy.Default;
        return new(new QueueClient(queueUri, credential, policy.ApplyTo(RelayStorage.QueueOptions())), new BlobContainerClient(containerUri, credential, policy.ApplyTo(new BlobClientOptions())));
    }

    /// <summary>
    /// Creates a client from a Microsoft Entra access token for Storage that the caller already has (audience
    /// https://storage.azure.com; for example from Get-AzAccessToken in a runbook signed in with a managed identity):
    /// for accounts with shared keys disabled. The identity needs Storage Queue Data Message Sender on the queue and
    /// Storage Blob Data Contributor on the container (for attachments too large for a queue message).
    /// </summary>
    /// <param name="queueUri">The queue URI, e.g. https://account.queue.core.windows.net/mail.</param>
    /// <param name="accessToken">The bearer token; used as it is (not refreshed; its exp claim is its expiry).</param>
    /// <param name="containerUri">The attachment container URI; <c>null</c> derives it from an Azure queue URI (account.blob.core... and &lt;queue&gt;-attachments).</param>
    /// <param name="retry">How failed Storage requests are retried; defaults to <see cref="StorageRetryPolicy.Default"/>.</param>
    /// <returns>The client.</returns>
    /// <exception cref="ArgumentException">No container URI is given and none can be derived (not a *.queue.* host).</exception>
    public static SmtpRelayClient Create(Uri queueUri, string accessToken, Uri? containerUri = null, StorageRetryPolicy? retry = null)
    {
        if (queueUri is null)
        {
            throw new ArgumentNullException(nameof(queueUri));
        }

        var container = containerUri ?? RelayStorage.AttachmentContainerUri(queueUri)
            ?? throw new ArgumentException($"The attachment container of '{queueUri}' cannot be derived from it (not an Azure *.queue.* endpoint): give its URI.", nameof(containerUri));
        return Create(queueUri, container, new AccessTokenCredential(accessToken), retry);
    }

    /// <summary>Validates the message and puts it on the relay queue.</summary>
    /// <param name="message">The message, as for a direct send.</param>
    /// <param name="idempotencyKey">The key that makes the enqueue safe to repeat; defaults to the Message-ID.</param>
    /// <param name="cancellationToken">Cancels the enqueue.</param>
    /// <returns>What was queued.</returns>
    /// <exception cref="MessageValidationException">The message is invalid; nothing was queued.</exception>
    /// <exception cref="RelayStorageException">The Storage account could not be reached or refused the request (after the retries of the client's <see cref="StorageRetryPolicy"/>).</exception>
    public async Task<RelayEnqueueResult> EnqueueAsync(MailMessageDefinition message, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        if (message is null)
        {
            throw new ArgumentNullException(nameof(message));
        }

        var clock = Stopwatch.StartNew();
        using var activity = StartSendActivity();
        try
        {
            return await EnqueueCoreAsync(message, idempotencyKey, activity, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RecordFailure(activity, ex))
        {
            // Never taken: the filter only marks the span failed, before the handler below runs.
            throw;
        }
        catch (Exception ex) when (LastRequestFailure(ex, out var attempts) is { } failure && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw RelayStorageException.FromRequest(queue, $"enqueue on queue '{queue.Name}'", "the queue or the attachment container does not exist", failure, attempts, clock.Elapsed, ex);
        }
    }

    // The Producer span of an enqueue, named "send <queue>" as the messaging conventions ask; nothing at all
    // (not even the name) when no listener subscribes to the relay's source.
    private Activity? StartSendActivity()
    {
        if (!RelayDiagnostics.ActivitySource.HasListeners())
        {
            return null;
        }

        var activity = RelayDiagnostics.ActivitySource.StartActivity($"send {queue.Name}", ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(RelayDiagnostics.MessagingSystemAttribute, RelayDiagnostics.MessagingSystem);
            activity.SetTag(RelayDiagnostics.OperationNameAttribute, "send");
            activity.SetTag(RelayDiagnostics.OperationTypeAttribute, "send");
            activity.SetTag(RelayDiagnostics.DestinationNameAttribute, queue.Name);
        }

        return activity;
    }

    // The class of the failure only (its message may name addresses): returns false, so the exception goes on.
    private static bool RecordFailure(Activity? activity, Exception exception)
    {
        if (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            activity.SetTag(RelayDiagnostics.ErrorTypeAttribute, exception.GetType().FullName);
        }

        return false;
    }

    private async Task<RelayEnqueueResult> EnqueueCoreAsync(MailMessageDefinition message, string? idempotencyKey, Activity? activity, CancellationToken cancellationToken)
    {
        string messageId;
        using (var composed = MessageComposer.Compose(message))
        {
            messageId = composed.MessageId ?? throw new InvalidOperationException("The composer gave the message no Message-ID.");
        }

        var envelopeId = RelayBlobStore.NewEnvelopeId();
        var attachments = await InlineAttachmentsAsync(message, cancellationToken).ConfigureAwait(false);
        var envelope = BuildEnvelope(message, envelopeId, messageId, idempotencyKey ?? messageId, attachments ?? Array.Empty<RelayAttachment>());
        var json = RelayEnvelopeFormat.Serialize(envelope);
        var blobCount = 0;
        if (attachments is null || RelayEnvelopeFormat.SizeOf(json) > RelayEnvelopeFormat.MaxQueuePayloadBytes)
        {
            // Claim check: the attachments go to blobs; if the bodies alone are still too large,
            // the whole envelope does, and the queue carries a pointer to it.
            await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
            attachments = await UploadAttachmentsAsync(message, envelopeId, cancellationToken).ConfigureAwait(false);
            blobCount = attachments.Count;
            envelope = BuildEnvelope(message, envelopeId, messageId, envelope.IdempotencyKey, attachments);
            json = RelayEnvelopeFormat.Serialize(envelope);
            if (RelayEnvelopeFormat.SizeOf(json) > RelayEnvelopeFormat.MaxQueuePayloadBytes)
            {
                var blobName = await blobs.UploadEnvelopeAsync(envelopeId, json, cancellationToken).ConfigureAwait(false);
                blobCount++;
                json = RelayEnvelopeFormat.Serialize(new RelayEnvelope { TraceParent = envelope.TraceParent, TraceState = envelope.TraceState, Id = envelopeId, IdempotencyKey = envelope.IdempotencyKey, MessageId = messageId, CreatedAt = envelope.CreatedAt, Enqueuer = Enqueuer, EnvelopeBlob = blobName });
            }
        }
        else
        {
            await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        }

        var receipt = await queue.SendMessageAsync(json, cancellationToken).ConfigureAwait(false);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(RelayDiagnostics.MessageIdAttribute, receipt.Value.MessageId);
            activity.SetTag(RelayDiagnostics.BodySizeAttribute, RelayEnvelopeFormat.SizeOf(json));
            activity.SetTag(RelayDiagnostics.EnvelopeIdAttribute, envelopeId);
            activity.SetTag(RelayDiagnostics.MailMessageIdAttribute, messageId);
        }

        return new RelayEnqueueResult
        {
            QueueMessageId = receipt.Value.MessageId,
            Queue = queue.Name,
            EnvelopeId = envelopeId,
            MessageId = messageId,
            IdempotencyKey = envelope.IdempotencyKey,
            Subject = message.Subject,
            BlobCount = blobCount,
            QueueMessageBytes = RelayEnvelopeFormat.SizeOf(json),
        };
    }

    // The SDK throws a RequestFailedException for a request the service answered (or one not retried), and
    // an AggregateException of one per try when its retries ran out; a try that got no answer within the
    // policy's NetworkTimeout is in it as a TaskCanceledException.
    internal static RequestFailedException? LastRequestFailure(Exception exception, out int attempts)
    {
        attempts = 1;
        switch (exception)
        {
            case RequestFailedException failure:
                return failure;
            case AggregateException aggregate when aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => e is RequestFailedException or OperationCanceledException):
                attempts = aggregate.InnerExceptions.Count;
                return aggregate.InnerExceptions[aggregate.InnerExceptions.Count - 1] as RequestFailedException
                    ?? new RequestFailedException(0, "no answer: the request timed out", aggregate.InnerExceptions[aggregate.InnerExceptions.Count - 1]);
            default:
                return null;
        }
    }

    // The envelope carries the trace context of the enqueue's span, or of the caller's current activity when no
    // listener subscribes to the relay's source (the caller's trace still goes on in the relay), or none.
    private RelayEnvelope BuildEnvelope(MailMessageDefinition message, string envelopeId, string messageId, string idempotencyKey, IReadOnlyList<RelayAttachment> attachments)
    {
        var traced = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current : null;
        return RelayEnvelope.FromMessage(message, envelopeId, messageId, idempotencyKey, attachments, Enqueuer, traced?.Id, traced?.TraceStateString);
    }

    // The attachments as Base64, or null as soon as they cannot fit in a queue message.
    private static async Task<IReadOnlyList<RelayAttachment>?> InlineAttachmentsAsync(MailMessageDefinition message, CancellationToken cancellationToken)
    {
        var packed = new List<RelayAttachment>();
        long total = 0;
        foreach (var attachment in message.Attachments)
        {
            if (attachment.Path is not null && (total += new FileInfo(attachment.Path).Length) > RelayEnvelopeFormat.MaxQueuePayloadBytes)
            {
                return null;
            }

            using var content = attachment.Open();
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, 81920, cancellationToken).ConfigureAwait(false);
            if (attachment.Path is null && (total += buffer.Length) > RelayEnvelopeFormat.MaxQueuePayloadBytes)
            {
                return null;
            }

            packed.Add(Describe(attachment, buffer.Length) with { Content = Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length) });
        }

        return packed;
    }

    // The claim check: each attachment streamed to its own blob under the envelope's folder.
    private async Task<IReadOnlyList<RelayAttachment>> UploadAttachmentsAsync(MailMessageDefinition message, string envelopeId, CancellationToken cancellationToken)
    {
        var packed = new List<RelayAttachment>();
        foreach (var (attachment, index) in message.Attachments.Select((a, i) => (a, i)))
        {
            var name = RelayBlobStore.AttachmentBlobName(envelopeId, index, attachment.FileName);
            long length;
            using (var content = attachment.Open())
            {
                length = await blobs.UploadAsync(name, content, cancellationToken).ConfigureAwait(false);
            }

            packed.Add(Describe(attachment, length) with { Blob = name });
        }

        return packed;
    }

    private static RelayAttachment Describe(MailAttachment attachment, long length) => new()
    {
        FileName = attachment.FileName,
        ContentType = attachment.ContentType ?? MimeTypes.GetMimeType(attachment.FileName),
        ContentId = attachment.ContentId,
        Length = length,
    };

    private async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (created)
        {
            return;
        }

        try
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await blobs.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            // An enqueuer may have the right to send but not to create: then the relay's deployment
            // (or its host at start-up) must have created the queue and the container.
        }

        created = true;
    }
}
