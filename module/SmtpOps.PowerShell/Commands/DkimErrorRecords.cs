using System.Management.Automation;
using SmtpOps.Dkim;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Turns <see cref="DkimException"/> into ErrorRecords with stable FullyQualifiedErrorIds (documented in the help; never
/// rename one). The exception's message never holds key material, and no inner exception is attached that could.
/// </summary>
internal static class DkimErrorRecords
{
    public static ErrorRecord FromDkim(DkimException exception)
    {
        var (id, category, advice) = exception.Error switch
        {
            DkimError.Unaligned => ("DkimUnaligned", ErrorCategory.PermissionDenied, "Sign with a key of the From domain (or a parent domain of it), or send from an address in the signing domain."),
            DkimError.KeyNotFound => ("DkimKeyNotFound", ErrorCategory.ObjectNotFound, "Give the path of the private key PEM file New-DkimKey wrote."),
            DkimError.KeyUnsupported => ("DkimKeyUnsupported", ErrorCategory.InvalidData, "Use an RSA key of 2048 bits or an Ed25519 key (New-DkimKey makes both)."),
            DkimError.InvalidName => ("DkimInvalidName", ErrorCategory.InvalidArgument, "The signing domain is a domain name (contoso.com); the selector a DNS label (mail2026)."),
            _ => ("DkimKeyUnreadable", ErrorCategory.InvalidData, "Give an unencrypted PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)."),
        };
        return new ErrorRecord(exception, id, category, exception.Target)
        {
            ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = advice },
        };
    }
}
