using System;
using System.Globalization;
using System.Management.Automation;
using SmtpOps.Messages;
using SmtpOps.Smtp;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Turns Core's exceptions into ErrorRecords with stable FullyQualifiedErrorIds, the right
/// category and the target. The ids are documented in the help; never rename one.
/// </summary>
internal static class SmtpErrorRecords
{
    public static ErrorRecord FromValidation(MessageValidationException exception)
    {
        var (id, category) = exception.Error switch
        {
            MessageValidationError.InvalidAddress => ("InvalidMailAddress", ErrorCategory.InvalidArgument),
            MessageValidationError.MissingSender => ("MissingSender", ErrorCategory.InvalidArgument),
            MessageValidationError.MissingRecipient => ("MissingRecipient", ErrorCategory.InvalidArgument),
            MessageValidationError.HeaderInjection => ("HeaderInjectionRefused", ErrorCategory.InvalidArgument),
            MessageValidationError.InvalidHeader => ("InvalidHeader", ErrorCategory.InvalidArgument),
            MessageValidationError.AttachmentNotFound => ("AttachmentNotFound", ErrorCategory.ObjectNotFound),
            MessageValidationError.AttachmentUnreadable => ("AttachmentUnreadable", ErrorCategory.ReadError),
            MessageValidationError.InvalidContentId => ("InvalidContentId", ErrorCategory.InvalidArgument),
            MessageValidationError.InvalidContentType => ("InvalidContentType", ErrorCategory.InvalidArgument),
            _ => ("InvalidMessage", ErrorCategory.InvalidArgument),
        };
        var record = new ErrorRecord(exception, id, category, exception.Target);
        KeepOnOneLine(record);
        return record;
    }

    /// <summary>
    /// A failure of the connection (unreachable, timeout, authentication, TLS) targets what the user typed
    /// to reach the server, <c>server:port</c>; a failure of one message (4xx/5xx for it) targets the message.
    /// </summary>
    public static ErrorRecord FromSubmission(SmtpSubmissionException exception, MailMessageDefinition message, string server)
    {
        var (id, category, advice) = exception.Kind switch
        {
            SmtpFailureKind.Transient => ("SmtpTransientFailure", ErrorCategory.ResourceUnavailable, "The server asked to try again later; retries were exhausted. Run the command again later or raise -MaximumRetryCount."),
            SmtpFailureKind.Permanent => ("SmtpMessageRejected", ErrorCategory.InvalidOperation, "The server refused the message permanently; check the sender, recipients and size against its policy."),
            SmtpFailureKind.Connection => ("SmtpConnectionFailed", ErrorCategory.ConnectionError, "Check -SmtpServer, -Port and that the server is reachable."),
            SmtpFailureKind.Timeout => ("SmtpTimeout", ErrorCategory.OperationTimeout, "The server did not answer in time; raise -Timeout or check the server."),
            SmtpFailureKind.Authentication => ("SmtpAuthenticationFailed", ErrorCategory.AuthenticationError, "Check the user name and password or token; authentication failures are not retried."),
            SmtpFailureKind.Certificate => ("CertificateValidationFailed", ErrorCategory.SecurityError, CertificateAdvice(exception.Certificate)),
            SmtpFailureKind.Protocol => ("SmtpProtocolError", ErrorCategory.ProtocolError, "The server sent a reply no mail server sends (a line over 4,096 bytes, over 200 lines or 1 MiB); check -SmtpServer and -Port: is it an SMTP server, and is something between you and it?"),
            _ => ("SmtpSecurityFailure", ErrorCategory.SecurityError, "Use -Security StartTls (587) or SslOnConnect (465); -AllowUnencryptedAuthentication sends credentials in clear."),
        };
        var perMessage = !EndsPipeline(exception);
        var record = new ErrorRecord(exception, id, category, perMessage ? message : server)
        {
            ErrorDetails = new ErrorDetails(Sentence(exception.Message) + RetrySummary(exception)) { RecommendedAction = advice },
        };
        if (perMessage)
        {
            // The category line shows the target's name: the subject, not the record's ToString().
            record.CategoryInfo.TargetName = $"'{message.Subject}'";
        }

        KeepOnOneLine(record);
        return record;
    }

    // MailKit's and the socket's messages may end without a full stop; the retry summary follows them.
    private static string Sentence(string message)
    {
        var text = message.TrimEnd();
        return text.EndsWith(".", StringComparison.Ordinal) ? text : text + ".";
    }

    // Says that the failure is what was left after retrying, with how long it took.
    private static string RetrySummary(SmtpSubmissionException exception)
    {
        if (exception.Attempts <= 1)
        {
            return exception.IsTransient ? " Not retried (-MaximumRetryCount 0)." : string.Empty;
        }

        return string.Format(CultureInfo.InvariantCulture, " Tried {0} times over {1:0.0} s.", exception.Attempts, exception.Elapsed.TotalSeconds);
    }

    // A CR or LF in the target (a refused header value) would break the category line in two.
    private static void KeepOnOneLine(ErrorRecord record)
    {
        var name = record.CategoryInfo.TargetName;
        if (name is not null && name.IndexOfAny(new[] { '\r', '\n' }) >= 0)
        {
            record.CategoryInfo.TargetName = name.Replace("\r", "`r").Replace("\n", "`n");
        }
    }

    private static string CertificateAdvice(ServerCertificateDecision? certificate) => certificate switch
    {
        { Revocation: CertificateRevocationStatus.Revoked } => "The issuer revoked the server's certificate: the server needs a new one.",
        { Problems.Count: 0, Revocation: CertificateRevocationStatus.Unknown } => "Make the certificate's CRL distribution point or OCSP responder reachable, or accept an unknown revocation status with -RevocationMode SoftFail.",
        _ => "Trust the CA that issued the certificate (the machine's trusted roots, or -TrustedRootCertificate), or pin it with -CertificateThumbprint, or (not recommended) use -SkipCertificateCheck.",
    };

    public static ErrorRecord RecipientRejected(SmtpRecipientResult recipient)
    {
        var category = recipient.StatusCode is >= 400 and < 500 ? ErrorCategory.ResourceUnavailable : ErrorCategory.InvalidArgument;
        var exception = new SmtpSubmissionException(
            recipient.StatusCode is >= 400 and < 500 ? SmtpFailureKind.Transient : SmtpFailureKind.Permanent,
            $"The server refused the recipient '{recipient.Address}': {recipient.StatusCode} {recipient.Response}. The other recipients got the message.",
            recipient.StatusCode);
        return new ErrorRecord(exception, "RecipientRejected", category, recipient.Address);
    }

    public static ErrorRecord ConflictingCertificateOptions(string conflict, object? target)
        => Terminating("ConflictingCertificateOptions", ErrorCategory.InvalidArgument, conflict.Replace("Skipping the certificate check", "-SkipCertificateCheck").Replace("a pinned thumbprint", "-CertificateThumbprint"), target);

    public static ErrorRecord Terminating(string id, ErrorCategory category, string message, object? target)
        => new(new ArgumentException(message), id, category, target);

    public static bool EndsPipeline(SmtpSubmissionException exception)
        => exception.Kind is not (SmtpFailureKind.Transient or SmtpFailureKind.Permanent);
}
