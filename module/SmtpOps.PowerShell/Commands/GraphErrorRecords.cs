using System;
using System.Globalization;
using System.Management.Automation;
using SmtpOps.Graph;
using SmtpOps.Messages;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Turns GraphTransportException into ErrorRecords with stable FullyQualifiedErrorIds. Message validation keeps the ids
/// it has with SMTP (the same meaning); Graph's own failures get Graph* ids, since what to do about them differs from
/// SMTP's. The ids are documented in the help; never rename one.
/// </summary>
internal static class GraphErrorRecords
{
    public static ErrorRecord FromTransport(GraphTransportException exception, MailMessageDefinition message, string mailbox)
    {
        var (id, category, advice) = exception switch
        {
            { Kind: GraphFailureKind.Throttled } => ("GraphThrottled", ErrorCategory.LimitsExceeded, "Graph is throttling this app or mailbox; retries were exhausted or its Retry-After was longer than the cmdlet waits. Send fewer messages per minute, or run the command again later."),
            { Kind: GraphFailureKind.Transient } => ("GraphTransientFailure", ErrorCategory.ResourceUnavailable, "Graph could not take the message now; retries were exhausted. Run the command again later or raise -MaximumRetryCount."),
            { StatusCode: 403 } or { ErrorCode: "ErrorAccessDenied" } => ("GraphAccessDenied", ErrorCategory.PermissionDenied, exception.Guidance ?? "Grant the app Mail.Send for this mailbox."),
            { Kind: GraphFailureKind.Permanent } => ("GraphMessageRejected", ErrorCategory.InvalidOperation, exception.Guidance ?? "Graph refused the message; its error code says why."),
            { Kind: GraphFailureKind.Authentication } => ("GraphAuthenticationFailed", ErrorCategory.AuthenticationError, exception.Guidance ?? "Check -GraphAccessToken: a token for https://graph.microsoft.com, not expired."),
            { Kind: GraphFailureKind.Timeout } => ("GraphTimeout", ErrorCategory.OperationTimeout, "Graph did not answer in time; raise -Timeout or try again later."),
            _ => ("GraphConnectionFailed", ErrorCategory.ConnectionError, "Check -GraphEndpoint and that this machine can reach it (proxy, firewall, DNS)."),
        };
        var perMessage = !EndsPipeline(exception);
        var record = new ErrorRecord(exception, id, category, perMessage ? message : mailbox)
        {
            ErrorDetails = new ErrorDetails(Sentence(exception.Message) + RetrySummary(exception)) { RecommendedAction = advice },
        };
        if (perMessage)
        {
            record.CategoryInfo.TargetName = $"'{message.Subject}'";
        }

        return record;
    }

    /// <summary>
    /// Whether the failure is the same for every message of the pipeline: the token, the mailbox's permission, the
    /// endpoint. Throttling and a refusal of one message are reported and the pipeline goes on.
    /// </summary>
    public static bool EndsPipeline(GraphTransportException exception)
        => exception.Kind is GraphFailureKind.Authentication or GraphFailureKind.Connection or GraphFailureKind.Timeout
            || exception.StatusCode == 403;

    private static string Sentence(string message)
    {
        var text = message.TrimEnd();
        return text.EndsWith(".", StringComparison.Ordinal) ? text : text + ".";
    }

    private static string RetrySummary(GraphTransportException exception) => exception.Attempts <= 1
        ? string.Empty
        : string.Format(CultureInfo.InvariantCulture, " Tried {0} times over {1:0.0} s.", exception.Attempts, exception.Elapsed.TotalSeconds);
}
