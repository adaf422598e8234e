using System;

namespace SmtpOps.Graph;

/// <summary>
/// A submission through Microsoft Graph failed. Carries the HTTP status and Graph's error code when Graph answered,
/// the kind of failure, whether a retry could succeed, and what to do about it.
/// </summary>
public sealed class GraphTransportException : Exception
{
    /// <summary>
    /// The key in <see cref="Exception.Data"/> under which a failed send of a large message (a draft with upload sessions)
    /// says what became of the draft: deleted, or left in the mailbox's Drafts folder and why. Set on whatever exception
    /// ends such a send, this one or another (an unreadable attachment file, a cancellation).
    /// </summary>
    public const string DraftDataKey = "SmtpOps.Graph.Draft";

    /// <summary>Creates the exception.</summary>
    /// <param name="kind">The kind of failure.</param>
    /// <param name="message">A message for the user (Graph's own message included when it gave one).</param>
    /// <param name="statusCode">The HTTP status, when Graph answered.</param>
    /// <param name="errorCode">Graph's error code (e.g. ErrorAccessDenied), when it gave one.</param>
    /// <param name="guidance">What to do about it, or <c>null</c>.</param>
    /// <param name="retryAfter">Graph's Retry-After, when it gave one.</param>
    /// <param name="innerException">The underlying exception.</param>
    public GraphTransportException(GraphFailureKind kind, string message, int? statusCode = null, string? errorCode = null, string? guidance = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        ErrorCode = errorCode;
        Guidance = guidance;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets what became of the draft when the send of a large message failed after its draft was created, or <c>null</c>; the message ends with it.</summary>
    public string? DraftOutcome { get; internal set; }

    /// <summary>Gets the message, followed by what became of the draft (<see cref="DraftOutcome"/>) when there was one.</summary>
    public override string Message => DraftOutcome is null ? base.Message : base.Message + " " + DraftOutcome;

    /// <summary>Gets the kind of failure.</summary>
    public GraphFailureKind Kind { get; }

    /// <summary>Gets the HTTP status, when Graph answered.</summary>
    public int? StatusCode { get; }

    /// <summary>Gets Graph's error code (error.code of the response), when it gave one.</summary>
    public string? ErrorCode { get; }

    /// <summary>Gets what to do about the failure (which permission to grant, what to check), or <c>null</c>.</summary>
    public string? Guidance { get; }

    /// <summary>Gets the wait Graph asked for (Retry-After), when it gave one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Gets Graph's request-id of the failed request, for a support case, when it gave one.</summary>
    public string? RequestId { get; internal set; }

    /// <summary>Gets how many HTTP attempts were made for the message before this failure was given up on (1: no retry).</summary>
    public int Attempts { get; internal set; } = 1;

    /// <summary>Gets the time from the first attempt to this failure, retries and their waits included.</summary>
    public TimeSpan Elapsed { get; internal set; }

    /// <summary>Gets whether Graph said it is throttling (429): the sender should slow down.</summary>
    public bool IsThrottling => Kind == GraphFailureKind.Throttled;

    /// <summary>Gets whether the same submission may succeed later.</summary>
    public bool IsTransient => Kind is GraphFailureKind.Throttled or GraphFailureKind.Transient or GraphFailureKind.Connection or GraphFailureKind.Timeout;
}
