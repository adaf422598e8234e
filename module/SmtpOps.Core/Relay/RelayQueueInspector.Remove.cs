using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Relay;

// Deleting a failure and its blobs (Remove-SmtpRelayFailure).
public sealed partial class RelayQueueInspector
{
    /// <summary>Deletes a failure's record and its blobs (claim checks under its envelope, a large original's copy); nothing else.</summary>
    /// <param name="failure">A failure read by <see cref="GetFailuresAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The names of the blobs deleted.</returns>
    /// <exception cref="RelayInspectionException">The record is gone already (<see cref="RelayInspectionError.FailureNotFound"/>); nothing was deleted.</exception>
    /// <exception cref="RelayStorageException">The relay queue does not exist, or Storage cannot be reached or refuses.</exception>
    public Task<IReadOnlyList<string>> RemoveAsync(RelayFailure failure, CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyList<string>>("remove from", async () =>
    {
        if (failure is null)
        {
            throw new ArgumentNullException(nameof(failure));
        }

        await RequireQueueAsync(cancellationToken).ConfigureAwait(false);
        var record = await HoldAsync(failure, cancellationToken).ConfigureAwait(false);
        // Only names of the forms the relay writes, inside the container: a record (or an object made to look like one)
        // naming another container's blob deletes nothing there.
        var names = new SortedSet<string>(failure.Blobs, StringComparer.Ordinal);
        if (RelayBlobStore.IsEnvelopeId(failure.EnvelopeId))
        {
            names.UnionWith(await blobs.ListEnvelopeFolderAsync(failure.EnvelopeId!, cancellationToken).ConfigureAwait(false));
        }

        await record.Queue.DeleteMessageAsync(record.Id, record.PopReceipt, CancellationToken.None).ConfigureAwait(false);
        var deleted = await blobs.DeleteAsync(names).ConfigureAwait(false);
        return deleted;
    }, cancellationToken);
}
