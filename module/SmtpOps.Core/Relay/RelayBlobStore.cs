using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace SmtpOps.Relay;

/// <summary>
/// The relay's claim-check container (<c>&lt;queue&gt;-attachments</c>) and every Storage name derived from a message:
/// envelope ids, claim-check blobs (<c>&lt;envelope id&gt;/&lt;n&gt;/&lt;file name&gt;</c>), an oversized envelope
/// (<c>&lt;envelope id&gt;/envelope.json</c>) and a dead-letter record's copy of a large original
/// (<c>failed/&lt;id&gt;.txt</c>). The enqueuer, the relay and the operation cmdlets name, read, write and delete blobs
/// through it only. A name from a queue message is an attacker's until checked: this type accepts only names of the forms
/// it writes itself, and checks that the <see cref="BlobClient"/> the SDK resolves for a name (which collapses <c>../</c>
/// segments) is that name in this container; anything else is refused (<see cref="RelayEnvelopeException"/>) before a
/// request is made.
/// </summary>
public sealed class RelayBlobStore
{
    /// <summary>The longest envelope id: ids are letters, digits, <c>-</c> and <c>_</c> (the enqueuer writes a GUID's 32 hex digits).</summary>
    public const int MaxEnvelopeIdLength = 64;

    /// <summary>The longest file-name segment of a claim-check blob name.</summary>
    public const int MaxFileSegmentLength = 255;

    private const string EnvelopeFileName = "envelope.json";
    private const string DeadLetterFolder = "failed";
    private const string DeadLetterSuffix = ".txt";

    /// <summary>Creates the store over the relay's claim-check container.</summary>
    /// <param name="container">The <c>&lt;queue&gt;-attachments</c> container.</param>
    public RelayBlobStore(BlobContainerClient container)
    {
        Container = container ?? throw new ArgumentNullException(nameof(container));
    }

    /// <summary>Gets the container's name.</summary>
    public string ContainerName => Container.Name;

    private BlobContainerClient Container { get; }

    /// <summary>Makes the id of a new envelope (a GUID's 32 hex digits).</summary>
    /// <returns>The id.</returns>
    public static string NewEnvelopeId() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// Tells whether a text may be an envelope id: 1 to <see cref="MaxEnvelopeIdLength"/> ASCII letters, digits,
    /// <c>-</c> or <c>_</c>, and not <c>failed</c> (the folder of dead-letter copies).
    /// </summary>
    /// <param name="id">The text.</param>
    /// <returns>Whether it is a valid envelope id.</returns>
    public static bool IsEnvelopeId(string? id)
        => id is { Length: > 0 and <= MaxEnvelopeIdLength }
            && id.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_')
            && !string.Equals(id, DeadLetterFolder, StringComparison.Ordinal);

    /// <summary>Gets the name of the blob holding attachment <paramref name="index"/> of an envelope.</summary>
    /// <param name="envelopeId">The envelope id.</param>
    /// <param name="index">The attachment's position in the envelope (from 0).</param>
    /// <param name="fileName">The attachment's file name; made a valid segment (<see cref="FileSegment"/>).</param>
    /// <returns><c>&lt;envelope id&gt;/&lt;index&gt;/&lt;file segment&gt;</c>.</returns>
    public static string AttachmentBlobName(string envelopeId, int index, string fileName)
    {
        RequireEnvelopeId(envelopeId);
        if (index < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "An attachment's index is not negative.");
        }

        return $"{envelopeId}/{index}/{FileSegment(fileName)}";
    }

    /// <summary>Gets the name of the blob holding a whole envelope too large for a queue message.</summary>
    /// <param name="envelopeId">The envelope id.</param>
    /// <returns><c>&lt;envelope id&gt;/envelope.json</c>.</returns>
    public static string EnvelopeBlobName(string envelopeId)
    {
        RequireEnvelopeId(envelopeId);
        return $"{envelopeId}/{EnvelopeFileName}";
    }

    /// <summary>Gets the name of the blob holding a dead-letter record's copy of an original too large for the record.</summary>
    /// <param name="id">The envelope id, or the queue message id when the envelope could not be read.</param>
    /// <returns><c>failed/&lt;id&gt;.txt</c>.</returns>
    public static string DeadLetterCopyName(string id)
    {
        RequireEnvelopeId(id);
        return $"{DeadLetterFolder}/{id}{DeadLetterSuffix}";
    }

    /// <summary>Tells whether a name is a dead-letter copy's (<see cref="DeadLetterCopyName"/>).</summary>
    /// <param name="name">The blob name.</param>
    /// <returns>Whether it has that form.</returns>
    public static bool IsDeadLetterCopyName(string? name)
        => name is not null
            && name.StartsWith(DeadLetterFolder + "/", StringComparison.Ordinal)
            && name.EndsWith(DeadLetterSuffix, StringComparison.Ordinal)
            && IsEnvelopeId(name.Substring(DeadLetterFolder.Length + 1, name.Length - DeadLetterFolder.Length - 1 - DeadLetterSuffix.Length));

    /// <summary>
    /// Makes a file name a valid last segment of a claim-check blob name: <c>/</c>, <c>\</c> and control characters become
    /// <c>_</c>, and so does a trailing dot (<c>.</c> and <c>..</c> are path steps); an empty result is <c>attachment</c>; the
    /// end (with the extension) of a name over <see cref="MaxFileSegmentLength"/> characters is kept. The recipient sees the
    /// attachment's own file name: this is only the blob's.
    /// </summary>
    /// <param name="fileName">The file name.</param>
    /// <returns>A segment for which <see cref="IsFileSegment"/> holds.</returns>
    public static string FileSegment(string? fileName)
    {
        var source = fileName ?? string.Empty;
        var chars = source.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (IsForbiddenInSegment(source, i))
            {
                chars[i] = '_';
            }
        }

        for (var i = chars.Length - 1; i >= 0 && chars[i] == '.'; i--)
        {
            chars[i] = '_';
        }

        var segment = chars.Length == 0 ? "attachment" : new string(chars);
        if (segment.Length > MaxFileSegmentLength)
        {
            var start = segment.Length - MaxFileSegmentLength;
            segment = char.IsLowSurrogate(segment[start]) ? "_" + segment.Substring(start + 1) : segment.Substring(start);
        }

        return segment;
    }

    /// <summary>Tells whether a text is a valid last segment of a claim-check blob name (what <see cref="FileSegment"/> makes).</summary>
    /// <param name="segment">The text.</param>
    /// <returns>Whether it is one.</returns>
    public static bool IsFileSegment(string? segment)
        => segment is { Length: > 0 and <= MaxFileSegmentLength }
            && segment[segment.Length - 1] != '.'
            && !Enumerable.Range(0, segment.Length).Any(i => IsForbiddenInSegment(segment, i));

    /// <summary>
    /// Says what is wrong with the Storage names of an envelope, or <c>null</c> when they are all of the forms this type
    /// writes: its id, an oversized envelope's blob (exactly <see cref="EnvelopeBlobName"/>), and each attachment's blob
    /// (exactly <c>&lt;id&gt;/&lt;its position&gt;/&lt;file segment&gt;</c>).
    /// </summary>
    /// <param name="envelope">The envelope.</param>
    /// <returns>The problem (quoting the name), or <c>null</c>.</returns>
    public static string? ProblemWithNames(RelayEnvelope envelope)
    {
        if (envelope is null)
        {
            throw new ArgumentNullException(nameof(envelope));
        }

        if (!IsEnvelopeId(envelope.Id))
        {
            return $"The envelope id '{Shorten(envelope.Id)}' is not 1 to {MaxEnvelopeIdLength} letters, digits, '-' or '_'.";
        }

        if (envelope.EnvelopeBlob is { } whole && whole != EnvelopeBlobName(envelope.Id))
        {
            return $"The envelope blob '{Shorten(whole)}' is not '{EnvelopeBlobName(envelope.Id)}': a claim check names only its own envelope's blobs.";
        }

        for (var i = 0; i < envelope.Attachments.Count; i++)
        {
            if (envelope.Attachments[i].Blob is { } name && !IsAttachmentBlobName(envelope.Id, i, name))
            {
                return $"The blob '{Shorten(name)}' of attachment {i} is not '{envelope.Id}/{i}/<file name>': a claim check names only its own envelope's blobs.";
            }
        }

        return null;
    }

    /// <summary>Gets the claim-check blobs an envelope points to (attachments, then the oversized envelope's own blob); its names must be valid (<see cref="ProblemWithNames"/>).</summary>
    /// <param name="envelope">An envelope read by <see cref="RelayEnvelopeFormat"/>.</param>
    /// <returns>The names.</returns>
    public static IReadOnlyList<string> BlobNamesOf(RelayEnvelope envelope)
    {
        if (envelope is null)
        {
            throw new ArgumentNullException(nameof(envelope));
        }

        var names = envelope.Attachments.Select(a => a.Blob).OfType<string>().ToList();
        if (envelope.EnvelopeBlob is { } whole)
        {
            names.Add(whole);
        }

        return names;
    }

    /// <summary>Creates the container if it does not exist.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when it exists.</returns>
    /// <remarks>A 403 (a role scoped to the container may not create containers) is taken as "the deployment created it".</remarks>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            // The deployment created it; a write that needs it will say so if not.
        }
    }

    /// <summary>Measures a blob before it is read: its real length and ETag.</summary>
    /// <param name="name">A checked name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The blob as Storage describes it.</returns>
    /// <exception cref="RelayEnvelopeException">The name is not one this type writes, or resolves outside the container.</exception>
    /// <exception cref="RequestFailedException">Storage refused the request (404: the blob does not exist).</exception>
    public async Task<RelayBlob> MeasureAsync(string name, CancellationToken cancellationToken)
    {
        var properties = (await Resolve(name).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        return new RelayBlob(name, properties.ContentLength, properties.ETag);
    }

    /// <summary>Opens a measured blob for streaming, only if it is still the blob that was measured (its ETag).</summary>
    /// <param name="blob">The blob, from <see cref="MeasureAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The content stream; the caller disposes it.</returns>
    /// <exception cref="RequestFailedException">Storage refused the request (412: the blob changed since it was measured).</exception>
    public async Task<Stream> OpenReadAsync(RelayBlob blob, CancellationToken cancellationToken)
    {
        if (blob is null)
        {
            throw new ArgumentNullException(nameof(blob));
        }

        var options = new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfMatch = blob.ETag } };
        return (await Resolve(blob.Name).DownloadStreamingAsync(options, cancellationToken).ConfigureAwait(false)).Value.Content;
    }

    /// <summary>Downloads a measured blob to a file, only if it is still the blob that was measured (its ETag).</summary>
    /// <param name="blob">The blob, from <see cref="MeasureAsync"/>.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>A task that completes when the file is written.</returns>
    public Task DownloadToAsync(RelayBlob blob, string path, CancellationToken cancellationToken)
    {
        if (blob is null)
        {
            throw new ArgumentNullException(nameof(blob));
        }

        return Resolve(blob.Name).DownloadToAsync(path, new BlobDownloadToOptions { Conditions = new BlobRequestConditions { IfMatch = blob.ETag } }, cancellationToken);
    }

    /// <summary>Writes a blob (replacing none: a name is written once).</summary>
    /// <param name="name">A checked name.</param>
    /// <param name="content">The content.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>The length Storage recorded.</returns>
    public async Task<long> UploadAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        var blob = Resolve(name);
        await blob.UploadAsync(content, cancellationToken).ConfigureAwait(false);
        return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ContentLength;
    }

    /// <summary>Writes an oversized envelope's JSON to its blob.</summary>
    /// <param name="envelopeId">The envelope id.</param>
    /// <param name="json">The envelope's JSON.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>The blob's name.</returns>
    public async Task<string> UploadEnvelopeAsync(string envelopeId, string json, CancellationToken cancellationToken)
    {
        var name = EnvelopeBlobName(envelopeId);
        await Resolve(name).UploadAsync(BinaryData.FromString(json), cancellationToken).ConfigureAwait(false);
        return name;
    }

    /// <summary>Writes (or replaces) a dead-letter record's copy of a large original message.</summary>
    /// <param name="id">The envelope id, or the queue message id when the envelope could not be read.</param>
    /// <param name="text">The original message's text.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>The blob's name.</returns>
    public async Task<string> WriteDeadLetterCopyAsync(string id, string text, CancellationToken cancellationToken)
    {
        var name = DeadLetterCopyName(id);
        await CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await Resolve(name).UploadAsync(BinaryData.FromString(text), overwrite: true, cancellationToken).ConfigureAwait(false);
        return name;
    }

    /// <summary>Reads a dead-letter record's copy of a large original message.</summary>
    /// <param name="name">The copy's name (<see cref="DeadLetterCopyName"/>).</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The original message's text.</returns>
    public async Task<string> ReadDeadLetterCopyAsync(string name, CancellationToken cancellationToken)
        => (await Resolve(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToString();

    /// <summary>Tells whether a blob exists.</summary>
    /// <param name="name">A checked name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Whether it exists.</returns>
    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken)
        => (await Resolve(name).ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>Lists the blobs under an envelope's folder (<c>&lt;envelope id&gt;/</c>).</summary>
    /// <param name="envelopeId">The envelope id.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>Their names; none when the container does not exist.</returns>
    public async Task<IReadOnlyList<string>> ListEnvelopeFolderAsync(string envelopeId, CancellationToken cancellationToken)
    {
        RequireEnvelopeId(envelopeId);
        var names = new List<string>();
        try
        {
            await foreach (var blob in Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, envelopeId + "/", cancellationToken).ConfigureAwait(false))
            {
                names.Add(blob.Name);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No container: no blobs.
        }

        return names;
    }

    /// <summary>
    /// Deletes blobs by name, each only if its name is of a form this type writes (an envelope's blob or a dead-letter
    /// copy) and resolves inside the container; other names are skipped, never requested. Nothing is cancelled half-way.
    /// </summary>
    /// <param name="names">The names.</param>
    /// <returns>The names of the blobs deleted.</returns>
    public async Task<IReadOnlyList<string>> DeleteAsync(IEnumerable<string> names)
    {
        if (names is null)
        {
            throw new ArgumentNullException(nameof(names));
        }

        var deleted = new List<string>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (!IsStoreName(name) || TryResolve(name) is not { } blob)
            {
                continue;
            }

            try
            {
                if ((await blob.DeleteIfExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false)).Value)
                {
                    deleted.Add(name);
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // The container is gone: nothing left to delete.
            }
        }

        return deleted;
    }

    // Whether a name has one of the forms this type writes, for any envelope.
    private static bool IsStoreName(string? name)
    {
        if (IsDeadLetterCopyName(name))
        {
            return true;
        }

        var slash = name?.IndexOf('/') ?? -1;
        if (slash <= 0)
        {
            return false;
        }

        var id = name!.Substring(0, slash);
        var rest = name.Substring(slash + 1);
        if (rest == EnvelopeFileName)
        {
            return IsEnvelopeId(id);
        }

        var second = rest.IndexOf('/');
        return second > 0 && IsEnvelopeId(id) && int.TryParse(rest.Substring(0, second), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
            && IsAttachmentBlobName(id, index, name);
    }

    private static bool IsAttachmentBlobName(string envelopeId, int index, string name)
    {
        var prefix = $"{envelopeId}/{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}/";
        return name.StartsWith(prefix, StringComparison.Ordinal) && IsFileSegment(name.Substring(prefix.Length));
    }

    // A path separator, a control character or half a surrogate pair.
    private static bool IsForbiddenInSegment(string text, int i)
    {
        var c = text[i];
        if (c is '/' or '\\' || char.IsControl(c))
        {
            return true;
        }

        return char.IsHighSurrogate(c) ? i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])
            : char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(text[i - 1]));
    }

    private static void RequireEnvelopeId(string id)
    {
        if (!IsEnvelopeId(id))
        {
            throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, $"'{Shorten(id)}' is not an envelope id (1 to {MaxEnvelopeIdLength} letters, digits, '-' or '_').");
        }
    }

    private static string Shorten(string? text) => text is null ? string.Empty : text.Length <= 200 ? text : text.Substring(0, 200) + "...";

    // The one door to the container: a client for a name of the forms above, whose resolved container and name are
    // exactly what was asked.
    private BlobClient Resolve(string name)
        => TryResolve(name) ?? throw new RelayEnvelopeException(RelayEnvelopeError.Invalid, $"The blob name '{Shorten(name)}' does not stay inside container {Container.Name}; nothing was read, written or deleted.");

    private BlobClient? TryResolve(string name)
    {
        if (name is null)
        {
            throw new ArgumentNullException(nameof(name));
        }

        if (!IsStoreName(name))
        {
            return null;
        }

        var blob = Container.GetBlobClient(name);
        return blob.BlobContainerName == Container.Name && blob.Name == name ? blob : null;
    }
}
