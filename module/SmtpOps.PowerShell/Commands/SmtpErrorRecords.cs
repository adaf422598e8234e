using System;
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
            _ => ("InvalidMessage", ErrorCategory.InvalidArgument),
        };
        return new ErrorRecord(exception, id, category, exception.Target);
    }

    public static ErrorRecord FromSubmission(SmtpSubmissionException exception, object target)
    {
        var (id, category, advice) = exception.Kind switch
        {
            SmtpFailureKind.Transient => ("SmtpTransientFailure", ErrorCategory.ResourceUnavailable, "The server asked to try again later; retries were exhausted. Run the command again later or raise -MaximumRetryCount."),
            SmtpFailureKind.Permanent => ("SmtpMessageRejected", ErrorCategory.InvalidOperation, "The server refused the message permanently; check the sender, recipients and size against its policy."),
            SmtpFailureKind.Connection => ("SmtpConnectionFailed", ErrorCategory.ConnectionError, "Check -SmtpServer, -Port and that the server is reachable."),
            SmtpFailureKind.Timeout => ("SmtpTimeout", ErrorCategory.OperationTimeout, "The server did not answer in time; raise -Timeout or check the server."),
            SmtpFailureKind.Authentication => ("SmtpAuthenticationFailed", ErrorCategory.AuthenticationError, "Check the user name and password or token; authentication failures are not retried."),
            SmtpFailureKind.Certificate => ("CertificateValidationFailed", ErrorCategory.SecurityError, CertificateAdvice(exception.Certificate)),
            _ => ("SmtpSecurityFailure", ErrorCategory.SecurityError, "Use -Security StartTls (587) or SslOnConnect (465); -AllowUnencryptedAuthentication sends credentials in clear."),
        };
        return new ErrorRecord(exception, id, category, target)
        {
            ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = advice },
        };
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

    public static ErrorRecord RelayFailure(Exception exception, int status, string? errorCode, string queue)
    {
        var category = status switch
        {
            0 => ErrorCategory.ConnectionError,
            401 or 403 => ErrorCategory.PermissionDenied,
            404 => ErrorCategory.ObjectNotFound,
            _ => ErrorCategory.WriteError,
        };
        return new ErrorRecord(exception, "RelayEnqueueFailed", category, queue)
        {
            ErrorDetails = new ErrorDetails($"Cannot enqueue on relay queue '{queue}': {status} {errorCode} {exception.Message.Split('\n')[0]}")
            {
                RecommendedAction = "Check -RelayConnectionString (its account, key or SAS with add permission on the queue and create/write on the blob container) and that the Storage account is reachable.",
            },
        };
    }

    public static ErrorRecord ConflictingCertificateOptions(string conflict, object? target)
        => Terminating("ConflictingCertificateOptions", ErrorCategory.InvalidArgument, conflict.Replace("Skipping the certificate check", "-SkipCertificateCheck").Replace("a pinned thumbprint", "-CertificateThumbprint"), target);

    public static ErrorRecord Terminating(string id, ErrorCategory category, string message, object? target)
        => new(new ArgumentException(message), id, category, target);

    public static bool EndsPipeline(SmtpSubmissionException exception)
        => exception.Kind is not (SmtpFailureKind.Transient or SmtpFailureKind.Permanent);
}
