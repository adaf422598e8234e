using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using SmtpOps.Smime;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Turns Core's <see cref="SmimeException"/> into ErrorRecords with stable FullyQualifiedErrorIds (documented in the
/// help; never rename one): one record per recipient without a usable certificate, targeting its address.
/// </summary>
internal static class SmimeErrorRecords
{
    public static IReadOnlyList<ErrorRecord> From(SmimeException exception)
    {
        switch (exception.Kind)
        {
            case SmimeFailureKind.MissingRecipientCertificate:
                return exception.Targets.Select(address => Record(
                    exception,
                    $"No encryption certificate for the recipient '{address}': the message was not sent (to anyone).",
                    "SmimeRecipientCertificateMissing",
                    ErrorCategory.ObjectNotFound,
                    address,
                    "Add the recipient's certificate with -EncryptionCertificate or to the -EncryptTo folder (a .cer/.pem file issued to the address, or named after it), or send to this recipient separately without encryption.")).ToList();
            case SmimeFailureKind.RecipientCertificateNotValid:
                return exception.Targets.Select(address => Record(
                    exception,
                    $"The encryption certificate of '{address}' is expired, not yet valid, or not for e-mail encryption: the message was not sent (to anyone).",
                    "SmimeRecipientCertificateInvalid",
                    ErrorCategory.SecurityError,
                    address,
                    "Get the recipient's current S/MIME certificate (extended key usage emailProtection).")).ToList();
        }

        var (id, category, advice) = exception.Kind switch
        {
            SmimeFailureKind.SenderNotInCertificate => ("SmimeSenderNotInCertificate", ErrorCategory.InvalidArgument, "Send -From an address the signing certificate is issued to, or sign with that sender's certificate."),
            SmimeFailureKind.SigningCertificateNotValid => ("SmimeSigningCertificateInvalid", ErrorCategory.SecurityError, "Sign with a current certificate issued for e-mail signing (key usage digitalSignature, extended key usage emailProtection)."),
            SmimeFailureKind.CertificateFileUnreadable => ("SmimeCertificateFileUnreadable", ErrorCategory.ReadError, "Check the path and -SigningCertificatePassword; the PFX must hold the certificate with its private key."),
            _ => ("SmimeSigningKeyUnusable", ErrorCategory.SecurityError, "Sign with a certificate that has its private key (RSA or ECDSA) and can export it for signing, or give its PFX file with -SigningCertificatePath."),
        };
        return new[] { Record(exception, exception.Message, id, category, exception.Targets.FirstOrDefault(), advice) };
    }

    private static ErrorRecord Record(SmimeException exception, string message, string id, ErrorCategory category, object? target, string advice)
        => new(exception, id, category, target)
        {
            ErrorDetails = new ErrorDetails(message) { RecommendedAction = advice },
        };
}
