using System;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.TestServers;

/// <summary>
/// In-memory certificates for TLS tests. Every returned certificate carries its private key and has been
/// re-imported from PKCS#12, so it works as an SslStream server certificate on Linux and Windows.
/// </summary>
public static class TestCertificates
{
    /// <summary>A CA (RSA 2048) valid from 2 years ago to 10 years ahead, so leaves can be issued already expired.</summary>
    public static X509Certificate2 CreateAuthority(string name = "SmtpOps Test CA")
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + name), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddYears(-2), now.AddYears(10));
        return Reimport(certificate);
    }

    /// <summary>
    /// A server certificate (RSA 2048, EKU serverAuth) signed by <paramref name="authority"/>. Names that parse as IP
    /// addresses (such as "127.0.0.1") become IP SANs, the others DNS SANs; the subject CN is the first name.
    /// The validity must lie within the authority's validity. With <paramref name="crlUrl"/> the leaf names that CRL
    /// distribution point (most private-CA leaves name none: their revocation status is unknown to a client).
    /// </summary>
    public static X509Certificate2 IssueServerCertificate(X509Certificate2 authority, string[] dnsNames, DateTimeOffset notBefore, DateTimeOffset notAfter, string? crlUrl = null)
    {
        ArgumentNullException.ThrowIfNull(authority);
        ArgumentNullException.ThrowIfNull(dnsNames);
        if (dnsNames.Length == 0)
        {
            throw new ArgumentException("At least one name is required.", nameof(dnsNames));
        }

        using var issuerKey = authority.GetRSAPrivateKey() ?? throw new ArgumentException("The authority has no RSA private key.", nameof(authority));
        using var key = RSA.Create(2048);
        var request = CreateServerRequest(key, dnsNames);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        if (crlUrl is not null)
        {
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl]));
        }

        var generator = X509SignatureGenerator.CreateForRSA(issuerKey, RSASignaturePadding.Pkcs1);
        using var issued = request.Create(authority.SubjectName, generator, notBefore, notAfter, NewSerialNumber());
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reimport(withKey);
    }

    /// <summary>
    /// An intermediate CA (RSA 2048, pathLen 0) signed by <paramref name="authority"/>, valid from a year ago to 5 years ahead:
    /// certificates it issues verify against the root only when it travels with them.
    /// </summary>
    public static X509Certificate2 IssueIntermediateAuthority(X509Certificate2 authority, string name = "SmtpOps Test Intermediate CA")
    {
        ArgumentNullException.ThrowIfNull(authority);
        using var issuerKey = authority.GetRSAPrivateKey() ?? throw new ArgumentException("The authority has no RSA private key.", nameof(authority));
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + name), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var now = DateTimeOffset.UtcNow;
        var generator = X509SignatureGenerator.CreateForRSA(issuerKey, RSASignaturePadding.Pkcs1);
        using var issued = request.Create(authority.SubjectName, generator, now.AddYears(-1), now.AddYears(5), NewSerialNumber());
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reimport(withKey);
    }

    /// <summary>
    /// An S/MIME end-entity certificate for <paramref name="emailAddress"/> (SAN rfc822Name, EKU emailProtection) signed by
    /// <paramref name="issuer"/> (an RSA CA), with an RSA 2048 key (signing and encryption) or an ECDSA P-256 key (signing);
    /// valid from a day ago to a year ahead unless told otherwise.
    /// </summary>
    public static X509Certificate2 IssueSmimeCertificate(X509Certificate2 issuer, string emailAddress, bool ecdsa = false, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentException.ThrowIfNullOrEmpty(emailAddress);
        using var issuerKey = issuer.GetRSAPrivateKey() ?? throw new ArgumentException("The issuer has no RSA private key.", nameof(issuer));
        using AsymmetricAlgorithm key = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        var subject = new X500DistinguishedName("CN=" + emailAddress);
        var request = ecdsa
            ? new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256)
            : new CertificateRequest(subject, (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress(emailAddress);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var usage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | (ecdsa ? X509KeyUsageFlags.KeyAgreement : X509KeyUsageFlags.KeyEncipherment);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.4", "Secure Email")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var now = DateTimeOffset.UtcNow;
        var generator = X509SignatureGenerator.CreateForRSA(issuerKey, RSASignaturePadding.Pkcs1);
        using var issued = request.Create(issuer.SubjectName, generator, notBefore ?? now.AddDays(-1), notAfter ?? now.AddYears(1), NewSerialNumber());
        using var withKey = ecdsa ? issued.CopyWithPrivateKey((ECDsa)key) : issued.CopyWithPrivateKey((RSA)key);
        return Reimport(withKey);
    }

    /// <summary>
    /// A server certificate for <paramref name="name"/> in its subject CN only, with no subjectAltName (as some old
    /// appliances still issue), signed by <paramref name="authority"/>, valid from a day ago to 90 days ahead.
    /// </summary>
    public static X509Certificate2 IssueCommonNameOnlyCertificate(X509Certificate2 authority, string name)
    {
        ArgumentNullException.ThrowIfNull(authority);
        using var issuerKey = authority.GetRSAPrivateKey() ?? throw new ArgumentException("The authority has no RSA private key.", nameof(authority));
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + name), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var now = DateTimeOffset.UtcNow;
        var generator = X509SignatureGenerator.CreateForRSA(issuerKey, RSASignaturePadding.Pkcs1);
        using var issued = request.Create(authority.SubjectName, generator, now.AddDays(-1), now.AddDays(90), NewSerialNumber());
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reimport(withKey);
    }

    /// <summary>A self-signed server certificate for <paramref name="dnsName"/>, valid from a day ago to 30 days ahead.</summary>
    public static X509Certificate2 CreateSelfSigned(string dnsName = "localhost")
    {
        using var key = RSA.Create(2048);
        var request = CreateServerRequest(key, [dnsName]);
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return Reimport(certificate);
    }

    /// <summary>A CRL of <paramref name="authority"/> (DER) that revokes the given certificates; valid from 5 minutes ago for a week.</summary>
    public static byte[] CreateRevocationList(X509Certificate2 authority, params X509Certificate2[] revoked)
    {
        ArgumentNullException.ThrowIfNull(authority);
        var builder = new CertificateRevocationListBuilder();
        var now = DateTimeOffset.UtcNow;
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, now.AddMinutes(-1), X509RevocationReason.KeyCompromise);
        }

        using var key = authority.GetRSAPrivateKey() ?? throw new ArgumentException("The authority has no RSA private key.", nameof(authority));
        var generator = X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1);
        return builder.Build(authority.SubjectName, generator, BigInteger.One, now.AddDays(7), HashAlgorithmName.SHA256,
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false), now.AddMinutes(-5));
    }

    static CertificateRequest CreateServerRequest(RSA key, string[] names)
    {
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + names[0]), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        serial[0] |= 0x01; // no leading zero byte
        return serial;
    }

    // Certificates built in memory hold an ephemeral key that SslStream cannot always use as a server;
    // a PKCS#12 round trip gives a normally loaded certificate with its key.
    static X509Certificate2 Reimport(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
}
