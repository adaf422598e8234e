using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using SmtpOps.Dkim;
using SmtpOps.PowerShell.Transformation;
using SmtpOps.Smime;

namespace SmtpOps.PowerShell.Commands;

/// <summary>Send-SmtpMail's signing and encryption: the DKIM and S/MIME parameters and the DKIM signer they make.</summary>
public sealed partial class SendSmtpMailCommand
{
    private int signature = (int)SmimeSignatureFormat.Detached;

    /// <summary>Gets or sets the DKIM signing domain (d=): the From domain or a parent of it; with -DkimSelector and -DkimKey every message is DKIM-signed.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string? DkimDomain { get; set; }

    /// <summary>Gets or sets the DKIM selector (s=): the key is published at &lt;selector&gt;._domainkey.&lt;domain&gt;.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string? DkimSelector { get; set; }

    /// <summary>
    /// Gets or sets the DKIM private key: a path to a PEM file, the PEM text (string or SecureString), or an
    /// X509Certificate2 with its private key. An RSA key signs rsa-sha256, an Ed25519 key ed25519-sha256.
    /// </summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Alias("DkimKeyPath")]
    [ValidateNotNull]
    public object? DkimKey { get; set; }

    /// <summary>Gets or sets the certificate (with its private key) that signs every message with S/MIME, e.g. from Cert:\CurrentUser\My.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNull]
    public X509Certificate2? SigningCertificate { get; set; }

    /// <summary>Gets or sets a PFX (PKCS#12) file holding the S/MIME signing certificate, its private key and its chain.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string? SigningCertificatePath { get; set; }

    /// <summary>Gets or sets the password of the -SigningCertificatePath file.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [SecureStringTransformation]
    [ValidateNotNull]
    public SecureString? SigningCertificatePassword { get; set; }

    /// <summary>Gets or sets how the S/MIME signature is attached: Detached (multipart/signed, the default) or Opaque.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    public SmimeSignatureFormat Signature { get => (SmimeSignatureFormat)signature; set => signature = (int)value; }

    /// <summary>Gets or sets the recipients' certificates (objects or .cer/.pem paths): every message is encrypted, and every recipient needs one.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    [CertificateFileTransformation]
    public X509Certificate2[]? EncryptionCertificate { get; set; }

    /// <summary>Gets or sets a folder of recipients' certificates (.cer/.crt/.pem/.der, found by the address they are issued to or named after): every message is encrypted.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string? EncryptTo { get; set; }

    // -DkimDomain, -DkimSelector and -DkimKey go together; the key is read once for the whole pipeline.
    private DkimMessageSigner? BuildDkimSigner()
    {
        var given = new[] { DkimDomain, DkimSelector, DkimKey }.Count(p => p is not null);
        if (given == 0)
        {
            return null;
        }

        if (given < 3)
        {
            ThrowTerminatingError(SmtpErrorRecords.Terminating("DkimIncomplete", ErrorCategory.InvalidArgument, "DKIM signing needs -DkimDomain, -DkimSelector and -DkimKey together.", null));
        }

        try
        {
            var signer = new DkimMessageSigner(DkimDomain!, DkimSelector!, DkimKeyParameter.Read(this, DkimKey!));
            WriteVerbose($"DKIM: every message is signed with d={signer.Domain}; s={signer.Selector}; a={(signer.Algorithm == DkimAlgorithm.Ed25519Sha256 ? "ed25519-sha256" : "rsa-sha256")}.");
            return signer;
        }
        catch (DkimException ex)
        {
            ThrowTerminatingError(DkimErrorRecords.FromDkim(ex));
            return null;
        }
    }
}
