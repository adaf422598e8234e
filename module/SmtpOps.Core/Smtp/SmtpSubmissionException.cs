using System;
using System.Collections.Generic;

namespace SmtpOps.Smtp;

/// <summary>
/// A submission failed. Carries the SMTP status code when the server answered, the kind of
/// failure, and whether a retry could succeed.
/// </summary>
public sealed class SmtpSubmissionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">The kind of failure.</param>
    /// <param name="message">A message for the user.</param>
    /// <param name="statusCode">The SMTP reply code, when the server answered.</param>
    /// <param name="innerException">The underlying exception.</param>
    /// <param name="recipients">The recipients' answers, when the failure is that none was accepted.</param>
    /// <param name="certificate">The TLS policy's decision, when the failure is a refused certificate.</param>
    public SmtpSubmissionException(SmtpFailureKind kind, string message, int? statusCode = null, Exception? innerException = null, IReadOnlyList<SmtpRecipientResult>? recipients = null, ServerCertificateDecision? certificate = null)
        : base(message, innerException)
    {
        Certificate = certificate;
        Kind = kind;
        StatusCode = statusCode;
        Recipients = recipients ?? Array.Empty<SmtpRecipientResult>();
    }

    /// <summary>Gets the kind of failure.</summary>
    public SmtpFailureKind Kind { get; }

    /// <summary>Gets the SMTP reply code, when the server answered.</summary>
    public int? StatusCode { get; }

    /// <summary>Gets the recipients' answers, when no recipient was accepted.</summary>
    public IReadOnlyList<SmtpRecipientResult> Recipients { get; }

    /// <summary>Gets the TLS policy's decision when the failure is a refused certificate, or <c>null</c>.</summary>
    public ServerCertificateDecision? Certificate { get; }

    /// <summary>Gets how many times the message was tried before this failure was given up on (1: no retry).</summary>
    public int Attempts { get; internal set; } = 1;

    /// <summary>Gets the time from the first attempt to this failure, retries and their waits included.</summary>
    public TimeSpan Elapsed { get; internal set; }

    /// <summary>
    /// Gets whether the server said it is throttling this client: reply 432 or enhanced status 4.3.2
    /// (Exchange Online: <c>432 4.3.2 Concurrent connections limit exceeded</c>). It is transient; the
    /// sender should slow down (fewer connections, a longer wait) rather than try again at once.
    /// </summary>
    public bool IsThrottling => Kind == SmtpFailureKind.Transient
        && (StatusCode == 432 || Message.IndexOf(" 4.3.2 ", StringComparison.Ordinal) >= 0);

    /// <summary>Gets whether the same submission may succeed later.</summary>
    public bool IsTransient => Kind is SmtpFailureKind.Transient or SmtpFailureKind.Connection or SmtpFailureKind.Timeout;
}
