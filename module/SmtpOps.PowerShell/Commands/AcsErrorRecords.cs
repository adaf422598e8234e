using System;
using System.Globalization;
using System.Management.Automation;
using SmtpOps.Acs;
using SmtpOps.Messages;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Turns AcsTransportException into ErrorRecords with stable FullyQualifiedErrorIds (Acs*), documented in the help; never
/// rename one. Message validation keeps the ids it has with SMTP. The error names the operation id when there was one.
/// </summary>
internal static class AcsErrorRecords
{
    public static ErrorRecord FromTransport(AcsTransportException exception, MailMessageDefinition message, Uri endpoint)
    {
        var (id, category, advice) = exception switch
        {
            { Kind: AcsFailureKind.Throttled } => ("AcsThrottled", ErrorCategory.LimitsExceeded, "ACS is throttling this resource (by default 30 messages a minute and 100 an hour for a custom domain); retries were exhausted or its Retry-After was longer than the cmdlet waits. Send fewer messages per minute, ask for higher limits, or run the command again later."),
            { Kind: AcsFailureKind.Transient } => ("AcsTransientFailure", ErrorCategory.ResourceUnavailable, "ACS could not take the message now; retries were exhausted. Run the command again later or raise -MaximumRetryCount."),
            { Kind: AcsFailureKind.NotSupported } => ("AcsMessageNotSupported", ErrorCategory.LimitsExceeded, exception.Guidance ?? "ACS cannot carry this message; nothing was sent."),
            { Kind: AcsFailureKind.OperationFailed } => ("AcsSendFailed", ErrorCategory.InvalidResult, exception.Guidance ?? "ACS took the message but did not send it; its error code says why."),
            { StatusCode: 403 } => ("AcsAccessDenied", ErrorCategory.PermissionDenied, exception.Guidance ?? "Give the identity a role on the Communication Services resource that allows sending."),
            { Kind: AcsFailureKind.Permanent } => ("AcsMessageRejected", ErrorCategory.InvalidOperation, exception.Guidance ?? "ACS refused the message; its error code says why."),
            { Kind: AcsFailureKind.Authentication } => ("AcsAuthenticationFailed", ErrorCategory.AuthenticationError, exception.Guidance ?? "Check -AcsAccessToken (a token for https://communication.azure.com, not expired) or -AcsAccessKey."),
            { Kind: AcsFailureKind.Timeout } => ("AcsTimeout", ErrorCategory.OperationTimeout, "ACS did not answer in time; raise -Timeout or try again later."),
            _ => ("AcsConnectionFailed", ErrorCategory.ConnectionError, "Check -AcsEndpoint and that this machine can reach it (proxy, firewall, DNS)."),
        };
        var perMessage = !EndsPipeline(exception);
        var record = new ErrorRecord(exception, id, category, perMessage ? message : endpoint)
        {
            ErrorDetails = new ErrorDetails(Sentence(exception.Message) + Operation(exception) + RetrySummary(exception)) { RecommendedAction = advice },
        };
        if (perMessage)
        {
            record.CategoryInfo.TargetName = $"'{message.Subject}'";
        }

        return record;
    }

    /// <summary>Whether the failure is the same for every message of the pipeline: the token or key, the role, the endpoint.</summary>
    public static bool EndsPipeline(AcsTransportException exception)
        => exception.Kind is AcsFailureKind.Authentication or AcsFailureKind.Connection or AcsFailureKind.Timeout
            || exception.StatusCode == 403;

    private static string Sentence(string message)
    {
        var text = message.TrimEnd();
        return text.EndsWith(".", StringComparison.Ordinal) ? text : text + ".";
    }

    private static string Operation(AcsTransportException exception) => exception.OperationId is null || exception.Message.Contains(exception.OperationId)
        ? string.Empty
        : $" Operation-Id {exception.OperationId}.";

    private static string RetrySummary(AcsTransportException exception) => exception.Attempts <= 1
        ? string.Empty
        : string.Format(CultureInfo.InvariantCulture, " Tried {0} times over {1:0.0} s.", exception.Attempts, exception.Elapsed.TotalSeconds);
}
