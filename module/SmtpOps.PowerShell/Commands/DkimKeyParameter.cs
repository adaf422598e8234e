using System.IO;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using SmtpOps.Dkim;
using SmtpOps.PowerShell.Parameters;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Reads a -DkimKey / -Key argument: a path to a PEM file (or a FileInfo), the PEM text itself (a string holding
/// "-----BEGIN", or a SecureString), or an X509Certificate2 with an exportable RSA private key.
/// </summary>
internal static class DkimKeyParameter
{
    public const string Accepted = "a path to a PEM file, the PEM text (string or SecureString), or an X509Certificate2 with its private key";

    /// <exception cref="DkimException">The key cannot be read or used; the message never quotes key material.</exception>
    public static DkimKey Read(PSCmdlet cmdlet, object value)
    {
        var argument = value is PSObject wrapped ? wrapped.BaseObject : value;
        switch (argument)
        {
            case X509Certificate2 certificate:
                return DkimKey.FromCertificate(certificate);
            case SecureString secret:
                return DkimKey.FromPem(CredentialParameters.Unwrap(secret));
            case FileInfo file:
                return DkimKey.FromPemFile(file.FullName);
            case string text when text.Contains("-----BEGIN"):
                return DkimKey.FromPem(text);
            case string path when !string.IsNullOrWhiteSpace(path):
                return DkimKey.FromPemFile(cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
            default:
                throw new DkimException(DkimError.KeyUnreadable, null, $"The DKIM key must be {Accepted}, not a {argument?.GetType().Name ?? "null"}.");
        }
    }
}
