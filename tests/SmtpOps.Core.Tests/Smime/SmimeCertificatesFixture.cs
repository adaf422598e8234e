using System;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using SmtpOps.TestServers;

namespace SmtpOps.Tests.Smime;

/// <summary>
/// A private root CA, an intermediate CA under it, and S/MIME certificates issued by the intermediate: the sender's
/// (RSA and ECDSA) and two recipients' (RSA). The folder holds what openssl reads: the root alone (ca.pem), each
/// recipient's certificate and key (PEM).
/// </summary>
public sealed class SmimeCertificatesFixture : IDisposable
{
    public const string Sender = "reports@contoso.test";
    public const string Ops = "ops@contoso.test";
    public const string Audit = "audit@contoso.test";

    public SmimeCertificatesFixture()
    {
        Folder = Directory.CreateTempSubdirectory("smtpops-smime-").FullName;
        Root = TestCertificates.CreateAuthority($"SmtpOps S/MIME Test Root {Guid.NewGuid():N}");
        Intermediate = TestCertificates.IssueIntermediateAuthority(Root);
        RsaSigner = TestCertificates.IssueSmimeCertificate(Intermediate, Sender);
        EcdsaSigner = TestCertificates.IssueSmimeCertificate(Intermediate, Sender, ecdsa: true);
        OpsCertificate = TestCertificates.IssueSmimeCertificate(Intermediate, Ops);
        AuditCertificate = TestCertificates.IssueSmimeCertificate(Intermediate, Audit);
        File.WriteAllText(RootFile, Root.ExportCertificatePem() + "\n");
        foreach (var (name, certificate) in new[] { ("ops", OpsCertificate), ("audit", AuditCertificate) })
        {
            File.WriteAllText(Path.Combine(Folder, name + ".pem"), certificate.ExportCertificatePem() + "\n");
            using var key = certificate.GetRSAPrivateKey()!;
            File.WriteAllText(Path.Combine(Folder, name + ".key"), key.ExportPkcs8PrivateKeyPem() + "\n");
        }
    }

    public string Folder { get; }

    public string RootFile => Path.Combine(Folder, "ca.pem");

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    public X509Certificate2 RsaSigner { get; }

    public X509Certificate2 EcdsaSigner { get; }

    public X509Certificate2 OpsCertificate { get; }

    public X509Certificate2 AuditCertificate { get; }

    /// <summary>The certificate and key files of a recipient ("ops" or "audit") for openssl smime -decrypt.</summary>
    public (string Certificate, string Key) RecipientFiles(string name) => (Path.Combine(Folder, name + ".pem"), Path.Combine(Folder, name + ".key"));

    /// <summary>Public certificates only, as a recipient's certificate reaches a sender.</summary>
    public static X509Certificate2 PublicOnly(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);

    public void Dispose()
    {
        foreach (var certificate in new[] { Root, Intermediate, RsaSigner, EcdsaSigner, OpsCertificate, AuditCertificate })
        {
            certificate.Dispose();
        }

        Directory.Delete(Folder, recursive: true);
    }
}
