using System;
using System.Collections.Generic;
using SmtpOps.Smime;

namespace SmtpOps.Relay.Hosting;

/// <summary>
/// S/MIME for every message the relay sends (section <c>Relay:Smime</c>), optional: a signing certificate as a PFX file
/// (<c>CertificatePath</c> and <c>CertificatePassword</c>) or as Base64 PKCS#12 (<c>Certificate</c>: a Key Vault reference to
/// the certificate's secret, which is how App Service hands a Key Vault certificate to an app), and optionally a folder of
/// recipients' certificates to encrypt to (<c>RecipientCertificates</c>). A message from a sender the certificate is not
/// issued to, or to a recipient without a certificate, is dead-lettered with the reason, never sent unprotected.
/// </summary>
public sealed class SmimeSettings
{
    /// <summary>Gets or sets the signing certificate as Base64 PKCS#12 (e.g. <c>@Microsoft.KeyVault(SecretUri=...)</c> of a Key Vault certificate).</summary>
    public string? Certificate { get; set; }

    /// <summary>Gets or sets the path of a PFX file holding the signing certificate, its key and chain.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Gets or sets the password of <see cref="Certificate"/> or <see cref="CertificatePath"/> (none for a Key Vault secret).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Gets or sets how the signature is attached: Detached (default) or Opaque.</summary>
    public SmimeSignatureFormat Signature { get; set; } = SmimeSignatureFormat.Detached;

    /// <summary>Gets or sets a folder of recipients' certificates (.cer/.crt/.pem/.der): when set, every message is encrypted.</summary>
    public string? RecipientCertificates { get; set; }

    /// <summary>Gets whether any S/MIME setting is given.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Certificate) || !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(RecipientCertificates);

    /// <summary>Loads the certificates once (at start-up) into Core's options, or <c>null</c> when S/MIME is not configured.</summary>
    /// <returns>The options.</returns>
    /// <exception cref="SmimeException">A certificate cannot be loaded (the message never quotes the password).</exception>
    /// <exception cref="FormatException"><see cref="Certificate"/> is not Base64.</exception>
    public SmimeOptions? ToOptions()
    {
        if (!IsConfigured)
        {
            return null;
        }

        var password = string.IsNullOrEmpty(CertificatePassword) ? null : CertificatePassword;
        SmimeSigner? signer = null;
        if (!string.IsNullOrWhiteSpace(Certificate))
        {
            signer = SmimeSigner.FromPkcs12(Convert.FromBase64String(Certificate!.Trim()), password, "Relay:Smime:Certificate");
        }
        else if (!string.IsNullOrWhiteSpace(CertificatePath))
        {
            signer = SmimeSigner.FromPkcs12File(CertificatePath!, password);
        }

        return new SmimeOptions
        {
            Signer = signer,
            SignatureFormat = Signature,
            EncryptTo = string.IsNullOrWhiteSpace(RecipientCertificates) ? null : RecipientCertificateSet.FromFolder(RecipientCertificates!),
        };
    }

    /// <summary>Adds what is wrong with these settings to <paramref name="problems"/>; the messages never contain the password or the key.</summary>
    /// <param name="problems">The list to add to.</param>
    public void Validate(List<string> problems)
    {
        if (!string.IsNullOrWhiteSpace(Certificate) && !string.IsNullOrWhiteSpace(CertificatePath))
        {
            problems.Add("Relay:Smime:Certificate and Relay:Smime:CertificatePath are both set: give the signing certificate once.");
            return;
        }

        try
        {
            ToOptions();
        }
        catch (SmimeException ex)
        {
            problems.Add($"Relay:Smime: {ex.Message}");
        }
        catch (FormatException)
        {
            problems.Add("Relay:Smime:Certificate is not Base64 PKCS#12 content (a Key Vault certificate's secret is).");
        }
    }
}
