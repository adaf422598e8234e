using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using SmtpOps.Messages;
using SmtpOps.PowerShell.Commands.Delivery;
using SmtpOps.PowerShell.Parameters;
using SmtpOps.Smime;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// Send-SmtpMail's S/MIME step, between composing and delivering: built once from -SigningCertificate (or
/// -SigningCertificatePath and -SigningCertificatePassword), -Signature, -EncryptionCertificate and -EncryptTo,
/// then applied by Core's <see cref="SmimeProtector"/> to every message. A later step (DKIM) signs what this one produced.
/// </summary>
internal sealed class SmimeStep
{
    private readonly SmimeOptions options;

    private SmimeStep(SmimeOptions options) => this.options = options;

    /// <summary>Builds the step from the parameters, or returns <c>null</c> when none asks for S/MIME; stops the cmdlet when they cannot be used.</summary>
    public static SmimeStep? FromParameters(
        PSCmdlet cmdlet,
        X509Certificate2? signingCertificate,
        string? signingCertificatePath,
        SecureString? signingCertificatePassword,
        SmimeSignatureFormat signatureFormat,
        bool signatureGiven,
        X509Certificate2[]? encryptionCertificates,
        string? encryptTo)
    {
        if (signingCertificate is not null && signingCertificatePath is not null)
        {
            cmdlet.ThrowTerminatingError(SmtpErrorRecords.Terminating("ConflictingSigningCertificate", ErrorCategory.InvalidArgument, "Give the signing certificate once: -SigningCertificate or -SigningCertificatePath, not both.", signingCertificatePath));
        }

        if (signatureGiven && signingCertificate is null && signingCertificatePath is null)
        {
            cmdlet.ThrowTerminatingError(SmtpErrorRecords.Terminating("SignatureWithoutCertificate", ErrorCategory.InvalidArgument, "-Signature needs -SigningCertificate or -SigningCertificatePath.", null));
        }

        if (signingCertificate is null && signingCertificatePath is null && encryptionCertificates is null && encryptTo is null)
        {
            return null;
        }

        try
        {
            SmimeSigner? signer = null;
            if (signingCertificatePath is not null)
            {
                var path = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(signingCertificatePath);
                signer = SmimeSigner.FromPkcs12File(path, signingCertificatePassword is null ? null : CredentialParameters.Unwrap(signingCertificatePassword));
            }
            else if (signingCertificate is not null)
            {
                signer = SmimeSigner.FromCertificate(signingCertificate);
            }

            RecipientCertificateSet? recipients = null;
            if (encryptTo is not null)
            {
                recipients = RecipientCertificateSet.FromFolder(cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(encryptTo));
            }

            if (encryptionCertificates is not null)
            {
                recipients = recipients?.With(encryptionCertificates) ?? RecipientCertificateSet.FromCertificates(encryptionCertificates);
            }

            if (signer is not null)
            {
                cmdlet.WriteVerbose($"S/MIME: signing with '{signer.Certificate.Subject}' ({signer.Certificate.Thumbprint}), {signatureFormat}, SHA-256.");
            }

            if (recipients is not null)
            {
                cmdlet.WriteVerbose($"S/MIME: encrypting with AES-256-CBC; certificates for {recipients.Addresses.Count} address(es).");
            }

            return new SmimeStep(new SmimeOptions { Signer = signer, SignatureFormat = signatureFormat, EncryptTo = recipients });
        }
        catch (SmimeException ex)
        {
            cmdlet.ThrowTerminatingError(SmimeErrorRecords.From(ex).First());
            return null;
        }
    }

    /// <summary>
    /// Signs and/or encrypts the message; on a refusal writes the errors (one per recipient without a usable certificate)
    /// and returns <c>false</c>: the message is not sent. A signer that cannot sign at all ends the pipeline.
    /// </summary>
    public bool TryApply(ComposedMessage message, DeliveryOutput output)
    {
        try
        {
            var applied = SmimeProtector.Apply(message, options);
            output.Cmdlet.WriteVerbose($"S/MIME: {(applied.Signed ? $"signed by {applied.SignerThumbprint} ({applied.ChainLength} certificate(s))" : "not signed")}; {(applied.Encrypted ? "encrypted for " + string.Join(", ", applied.EncryptedFor) : "not encrypted")}.");
            return true;
        }
        catch (SmimeException ex)
        {
            var records = SmimeErrorRecords.From(ex);
            if (ex.Kind is SmimeFailureKind.SigningKeyUnusable or SmimeFailureKind.SigningCertificateNotValid)
            {
                output.FailedForAll(records[0]);
                return false;
            }

            // One message failed, with an error for each recipient it could not be encrypted for.
            output.Failed(records[0]);
            foreach (var record in records.Skip(1))
            {
                output.Cmdlet.WriteError(record);
            }

            return false;
        }
    }
}
