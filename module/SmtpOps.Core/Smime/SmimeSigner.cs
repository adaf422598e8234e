using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.Smime;

/// <summary>
/// The certificate that signs, with its private key, and the intermediate certificates that lead from it to its
/// root: the signature carries both, so a recipient who trusts only the root can verify it.
/// </summary>
public sealed class SmimeSigner
{
    // The chain and the key in BouncyCastle's form, made once per signer: building the chain and exporting the key cost
    // far more than a signature (about 140 and 700 ms here against a few ms), and a pipeline signs every message with them.
    private readonly Lazy<(IReadOnlyList<X509Certificate2> Chain, IReadOnlyList<Org.BouncyCastle.X509.X509Certificate> BouncyCastleChain, Org.BouncyCastle.Crypto.AsymmetricKeyParameter Key)> material;

    private SmimeSigner(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> intermediates)
    {
        Certificate = certificate;
        Intermediates = intermediates;
        material = new Lazy<(IReadOnlyList<X509Certificate2>, IReadOnlyList<Org.BouncyCastle.X509.X509Certificate>, Org.BouncyCastle.Crypto.AsymmetricKeyParameter)>(Prepare, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Gets the signing certificate (with its private key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Gets the other certificates offered for the chain (from the PFX, or given); the signature carries those that lead to the root.</summary>
    public IReadOnlyList<X509Certificate2> Intermediates { get; }

    /// <summary>Uses a certificate with its private key (from a store, such as Cert:\CurrentUser\My, or loaded by the caller).</summary>
    /// <param name="certificate">The signing certificate; it must have a private key.</param>
    /// <param name="intermediates">Further certificates for the chain; those in the system's stores are found without them.</param>
    /// <returns>The signer.</returns>
    /// <exception cref="SmimeException">The certificate has no private key.</exception>
    public static SmimeSigner FromCertificate(X509Certificate2 certificate, IEnumerable<X509Certificate2>? intermediates = null)
    {
        if (certificate is null)
        {
            throw new ArgumentNullException(nameof(certificate));
        }

        if (!certificate.HasPrivateKey)
        {
            throw new SmimeException(SmimeFailureKind.SigningKeyUnusable, new[] { certificate.Subject }, $"The signing certificate '{certificate.Subject}' ({certificate.Thumbprint}) has no private key: sign with a certificate from a store that holds its key (Cert:\\CurrentUser\\My) or a PFX file.");
        }

        return new SmimeSigner(certificate, (intermediates ?? Enumerable.Empty<X509Certificate2>()).ToList().AsReadOnly());
    }

    /// <summary>
    /// Loads a PKCS#12 (PFX) file: the certificate with a private key signs, the others in the file are its chain.
    /// The password never appears in an error.
    /// </summary>
    /// <param name="path">The PFX file.</param>
    /// <param name="password">The file's password, or <c>null</c> for none.</param>
    /// <returns>The signer.</returns>
    /// <exception cref="SmimeException">The file cannot be read or opened with the password, or holds no certificate with a private key.</exception>
    public static SmimeSigner FromPkcs12File(string path, string? password)
    {
        if (path is null)
        {
            throw new ArgumentNullException(nameof(path));
        }

        byte[] data;
        try
        {
            data = System.IO.File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
        {
            throw new SmimeException(SmimeFailureKind.CertificateFileUnreadable, new[] { path }, $"The PFX file '{path}' cannot be read: {ex.Message}");
        }

        return FromPkcs12(data, password, $"The PFX file '{path}'");
    }

    /// <summary>
    /// Reads PKCS#12 (PFX) content, such as a Key Vault certificate's secret: the certificate with a private key signs,
    /// the others are its chain. The password never appears in an error.
    /// </summary>
    /// <param name="data">The PKCS#12 bytes.</param>
    /// <param name="password">The password, or <c>null</c> for none.</param>
    /// <param name="source">Names the content in errors (e.g. "Relay:Smime:Certificate").</param>
    /// <returns>The signer.</returns>
    /// <exception cref="SmimeException">The content cannot be opened with the password, or holds no certificate with a private key.</exception>
    public static SmimeSigner FromPkcs12(byte[] data, string? password, string source)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            // Exportable: MimeKit signs with BouncyCastle, which needs the key's parameters.
            certificates.Import(data ?? throw new ArgumentNullException(nameof(data)), password, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException)
        {
            // The exception's own message is left out: some platforms quote more of the content than is wise.
            throw new SmimeException(SmimeFailureKind.CertificateFileUnreadable, new[] { source }, $"{source} cannot be opened: it is not PKCS#12 (PFX) content, or the password is wrong.");
        }

        var all = certificates.Cast<X509Certificate2>().ToList();
        var signer = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new SmimeException(SmimeFailureKind.SigningKeyUnusable, new[] { source }, $"{source} holds no certificate with a private key.");
        return new SmimeSigner(signer, all.Where(c => !ReferenceEquals(c, signer)).ToList().AsReadOnly());
    }

    /// <summary>The chain (as <see cref="BuildChain"/>), the same in BouncyCastle's form, and the private key; made once.</summary>
    /// <exception cref="SmimeException">The private key cannot be used.</exception>
    internal (IReadOnlyList<X509Certificate2> Chain, IReadOnlyList<Org.BouncyCastle.X509.X509Certificate> BouncyCastleChain, Org.BouncyCastle.Crypto.AsymmetricKeyParameter Key) Material => material.Value;

    private (IReadOnlyList<X509Certificate2>, IReadOnlyList<Org.BouncyCastle.X509.X509Certificate>, Org.BouncyCastle.Crypto.AsymmetricKeyParameter) Prepare()
    {
        var chain = BuildChain();
        return (chain, chain.Select(c => MimeKit.Cryptography.X509Certificate2Extensions.AsBouncyCastleCertificate(c)).ToList().AsReadOnly(), PrivateKey());
    }

    private Org.BouncyCastle.Crypto.AsymmetricKeyParameter PrivateKey()
    {
        try
        {
            AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)Certificate.GetRSAPrivateKey() ?? Certificate.GetECDsaPrivateKey();
            if (key is null)
            {
                throw new SmimeException(SmimeFailureKind.SigningKeyUnusable, new[] { Certificate.Subject }, $"The key of the signing certificate '{Certificate.Subject}' ({Certificate.Thumbprint}) is neither RSA nor ECDSA.");
            }

            using (key)
            {
                return MimeKit.Cryptography.AsymmetricAlgorithmExtensions.AsAsymmetricKeyParameter(key);
            }
        }
        catch (CryptographicException)
        {
            // The exception's text is left out: nothing about the key goes into an error.
            throw new SmimeException(SmimeFailureKind.SigningKeyUnusable, new[] { Certificate.Subject }, $"The private key of the signing certificate '{Certificate.Subject}' ({Certificate.Thumbprint}) cannot be used: it must be exportable (import the PFX with the Exportable flag, or give the PFX file itself).");
        }
    }

    /// <summary>
    /// The chain the signature carries: the signing certificate, then each issuer found among <see cref="Intermediates"/>
    /// and the system's stores, up to but not including a self-signed root (the recipient has it, or must not take it from the message).
    /// </summary>
    internal IReadOnlyList<X509Certificate2> BuildChain()
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority | X509VerificationFlags.IgnoreNotTimeValid;
        chain.ChainPolicy.UrlRetrievalTimeout = TimeSpan.FromSeconds(5);
        chain.ChainPolicy.ExtraStore.AddRange(Intermediates.ToArray());
        chain.Build(Certificate);
        var elements = chain.ChainElements.Cast<X509ChainElement>().Select(e => e.Certificate).ToList();
        if (elements.Count == 0 || elements[0].Thumbprint != Certificate.Thumbprint)
        {
            return new[] { Certificate };
        }

        // The chain's first element is a copy without the key: the caller signs with Certificate itself.
        elements[0] = Certificate;
        if (elements.Count > 1 && elements[elements.Count - 1].SubjectName.RawData.SequenceEqual(elements[elements.Count - 1].IssuerName.RawData))
        {
            elements.RemoveAt(elements.Count - 1);
        }

        return elements;
    }
}
