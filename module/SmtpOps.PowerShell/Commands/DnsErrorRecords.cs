using System.Management.Automation;
using SmtpOps.Dns;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Turns <see cref="DnsResolutionException"/> into ErrorRecords with stable FullyQualifiedErrorIds,
/// the right category and the domain as the target. The ids are documented in the help; never rename one.
/// </summary>
internal static class DnsErrorRecords
{
    public static ErrorRecord FromResolution(DnsResolutionException exception)
    {
        var (id, category, advice) = exception.Kind switch
        {
            DnsFailureKind.NotFound => ("DomainNotFound", ErrorCategory.ObjectNotFound, "The domain does not exist (NXDOMAIN): check the spelling. This is permanent; mail to it bounces."),
            DnsFailureKind.NoMailServer => ("NoMailServer", ErrorCategory.ObjectNotFound, "The domain exists but publishes neither MX nor address records: its owner must add an MX record."),
            DnsFailureKind.Timeout => ("DnsTimeout", ErrorCategory.OperationTimeout, "The name server did not answer: a temporary failure, not a missing MX. Try again later, raise -Timeout or use another -Server."),
            DnsFailureKind.InvalidName => ("InvalidDomain", ErrorCategory.InvalidArgument, "Give a domain (contoso.com) or an e-mail address (ops@contoso.com)."),
            _ => ("DnsTemporaryFailure", ErrorCategory.ResourceUnavailable, "The name server failed or refused (SERVFAIL, REFUSED): a temporary failure, not a missing MX. Try again later or use another -Server."),
        };
        return new ErrorRecord(exception, id, category, exception.Domain)
        {
            ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = advice },
        };
    }
}
