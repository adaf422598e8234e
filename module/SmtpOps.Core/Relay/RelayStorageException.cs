using System;
using System.Globalization;
using Azure;
using Azure.Storage.Queues;

namespace SmtpOps.Relay;

/// <summary>
/// The relay queue's Storage account could not be used: what was tried (account, queue, endpoint,
/// how many tries over how long) and why, in a message that names no secret.
/// </summary>
public sealed class RelayStorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">Why the account could not be used.</param>
    /// <param name="message">A message for the user; it must not contain a key or SAS.</param>
    /// <param name="innerException">The Storage SDK's exception.</param>
    public RelayStorageException(RelayStorageFailureKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>Gets why the account could not be used.</summary>
    public RelayStorageFailureKind Kind { get; }

    /// <summary>Gets the Storage account name, when the connection string could be read.</summary>
    public string? Account { get; init; }

    /// <summary>Gets the relay queue.</summary>
    public string? Queue { get; init; }

    /// <summary>Gets the queue endpoint that was tried, without any SAS query.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Gets the HTTP status of the last answer (0: no answer).</summary>
    public int Status { get; init; }

    /// <summary>Gets the Storage error code of the last answer, if any.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Gets how many times the failing request was tried.</summary>
    public int Attempts { get; init; }

    /// <summary>Gets how long the enqueue took before it gave up.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Gets the account and queue as <c>account/queue</c> (the queue alone when the account is unknown).</summary>
    public string Target => Account is null ? Queue ?? string.Empty : $"{Account}/{Queue}";

    // What the Storage SDK's failure means for a relay queue, in words that name no secret (never the full URI: a
    // SAS puts its signature in the query). Shared by the enqueuer and the inspector.
    internal static RelayStorageException FromRequest(QueueClient queue, string action, string missing, RequestFailedException failure, int attempts, TimeSpan elapsed, Exception thrown)
    {
        var kind = failure.Status switch
        {
            0 => RelayStorageFailureKind.Unreachable,
            401 => RelayStorageFailureKind.AuthenticationFailed,
            403 when failure.ErrorCode == "AuthenticationFailed" => RelayStorageFailureKind.AuthenticationFailed,
            403 => RelayStorageFailureKind.PermissionDenied,
            404 => RelayStorageFailureKind.NotFound,
            _ => RelayStorageFailureKind.Refused,
        };
        var endpoint = queue.Uri.GetLeftPart(UriPartial.Path);
        var reason = failure.Message.Split('\n')[0].Trim();
        var what = kind switch
        {
            RelayStorageFailureKind.Unreachable => $"{endpoint} could not be reached ({reason})",
            RelayStorageFailureKind.AuthenticationFailed => $"the service did not accept the credentials ({failure.Status} {failure.ErrorCode})",
            RelayStorageFailureKind.PermissionDenied when failure.ErrorCode == "AuthorizationPermissionMismatch"
                => $"the identity lacks a role ({failure.Status} {failure.ErrorCode}): grant it Storage Queue Data Message Sender (or Contributor) on the queue and Storage Blob Data Contributor on its attachment container",
            RelayStorageFailureKind.PermissionDenied => $"the credentials lack the permission ({failure.Status} {failure.ErrorCode})",
            RelayStorageFailureKind.NotFound => $"{missing} ({failure.Status} {failure.ErrorCode})",
            _ => $"the service refused the request ({failure.Status} {failure.ErrorCode}: {reason})",
        };
        var tries = attempts == 1
            ? string.Format(CultureInfo.InvariantCulture, "1 try in {0:0.0} s", elapsed.TotalSeconds)
            : string.Format(CultureInfo.InvariantCulture, "{0} tries in {1:0.0} s", attempts, elapsed.TotalSeconds);
        return new RelayStorageException(kind, $"Cannot {action} of Storage account '{queue.AccountName}': {what}; {tries}.", thrown)
        {
            Account = queue.AccountName,
            Queue = queue.Name,
            Endpoint = endpoint,
            Status = failure.Status,
            ErrorCode = failure.ErrorCode,
            Attempts = attempts,
            Elapsed = elapsed,
        };
    }
}
