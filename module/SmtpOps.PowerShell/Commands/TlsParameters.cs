using System;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using SmtpOps.Smtp;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Turns the TLS parameters of Send-SmtpMail and Test-SmtpServer (-Security, -SkipCertificateCheck,
/// -CertificateThumbprint, -TrustedRootCertificate, -RevocationMode, -AllowUnencryptedAuthentication) into Core's
/// <see cref="SmtpTlsPolicy"/>, so both cmdlets judge a server the same way.
/// </summary>
internal static class TlsParameters
{
    /// <summary>Builds the policy; stops the cmdlet with ConflictingCertificateOptions when the parameters contradict each other.</summary>
    public static SmtpTlsPolicy ToPolicy(
        Cmdlet cmdlet,
        SmtpSecurity security,
        bool skipCertificateCheck,
        string[]? certificateThumbprint,
        X509Certificate2[]? trustedRootCertificate,
        CertificateRevocationMode revocationMode,
        bool allowUnencryptedAuthentication = false)
    {
        var policy = new SmtpTlsPolicy
        {
            Security = security,
            AllowUnencryptedAuthentication = allowUnencryptedAuthentication,
            SkipCertificateCheck = skipCertificateCheck,
            CertificateThumbprints = certificateThumbprint ?? Array.Empty<string>(),
            TrustedRoots = trustedRootCertificate ?? Array.Empty<X509Certificate2>(),
            RevocationMode = revocationMode,
        };
        if (policy.FindConflict() is { } conflict)
        {
            cmdlet.ThrowTerminatingError(SmtpErrorRecords.ConflictingCertificateOptions(conflict, certificateThumbprint));
        }

        return policy;
    }

    /// <summary>
    /// The security asked for: -Security when given; else, for Send-MailMessage's -UseSsl (System.Net.Mail's
    /// EnableSsl: STARTTLS), STARTTLS required, or implicit TLS on 465 where only that works.
    /// </summary>
    public static SmtpSecurity ResolveSecurity(SmtpSecurity security, bool securityGiven, bool useSsl, int port)
        => securityGiven || !useSsl ? security : SmtpTlsPolicy.SecurityForUseSsl(port);
}
