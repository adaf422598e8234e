using System;

namespace SmtpOps.Acs;

/// <summary>
/// A send through Azure Communication Services Email failed. Carries the HTTP status and ACS's error code when ACS
/// answered, the operation id the send ran under (the client-chosen Operation-Id), the operation's final status when it
/// got that far, the kind of failure, whether a retry could succeed, and what to do about it. Never carries a token or key.
/// </summary>
public sealed class AcsTransportException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">The kind of failure.</param>
    /// <param name="message">A message for the user (ACS's own message included when it gave one).</param>
    /// <param name="statusCode">The HTTP status, when ACS answered.</param>
    /// <param name="errorCode">ACS's error code (error.code, e.g. EmailDropped), or ours for a refusal before sending.</param>
    /// <param name="guidance">What to do about it, or <c>null</c>.</param>
    /// <param name="retryAfter">ACS's Retry-After, when it gave one.</param>
    /// <param name="innerException">The underlying exception.</param>
    public AcsTransportException(AcsFailureKind kind, string message, int? statusCode = null, string? errorCode = null, string? guidance = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        ErrorCode = errorCode;
        Guidance = guidance;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets the kind of failure.</summary>
    public AcsFailureKind Kind { get; }

    /// <summary>Gets the HTTP status, when ACS answered.</summary>
    public int? StatusCode { get; }

    /// <summary>Gets ACS's error code (error.code of the response or of the failed operation), or ours for a refusal before sending.</summary>
    public string? ErrorCode { get; }

    /// <summary>Gets what to do about the failure, or <c>null</c>.</summary>
    public string? Guidance { get; }

    /// <summary>Gets the wait ACS asked for (Retry-After), when it gave one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Gets the Operation-Id the send ran under, once it was chosen (every failure after validation has one).</summary>
    public string? OperationId { get; internal set; }

    /// <summary>Gets the operation's last known status (NotStarted, Running, Failed, Canceled), when the send got as far as 202 Accepted.</summary>
    public string? OperationStatus { get; internal set; }

    /// <summary>Gets how many HTTP attempts were made for the message before this failure was given up on (1: no retry).</summary>
    public int Attempts { get; internal set; } = 1;

    /// <summary>Gets the time from the first attempt to this failure, retries and their waits included.</summary>
    public TimeSpan Elapsed { get; internal set; }

    /// <summary>Gets whether ACS said it is throttling (429): the sender should slow down.</summary>
    public bool IsThrottling => Kind == AcsFailureKind.Throttled;

    /// <summary>Gets whether the same send may succeed later.</summary>
    public bool IsTransient => Kind is AcsFailureKind.Throttled or AcsFailureKind.Transient or AcsFailureKind.Connection or AcsFailureKind.Timeout;
}
