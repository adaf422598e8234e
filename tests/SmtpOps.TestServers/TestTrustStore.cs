using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.TestServers;

/// <summary>
/// A private CA that a test run makes trusted the way a real machine trusts its company CA: through the
/// system's root store as .NET on Linux reads it. <see cref="Create"/> writes the CA (certificate and key)
/// and a bundle of the system's roots plus the CA to a folder; a process started with <c>SSL_CERT_FILE</c>
/// pointing at the bundle trusts the CA, and nothing on the machine changes. Each run's CA has its own
/// name, so revocation lists cached by an earlier run never apply.
/// </summary>
public static class TestTrustStore
{
    /// <summary>The environment variable naming the folder, set by the test runner for the suites.</summary>
    public const string FolderVariable = "SMTPOPS_TEST_CA";

    private const string CertificateFile = "ca.pem";
    private const string KeyFile = "ca.key.pem";
    private const string BundleFile = "bundle.pem";
    private static readonly string[] SystemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

    /// <summary>Creates the CA in <paramref name="folder"/>; returns the bundle's path (the value for SSL_CERT_FILE).</summary>
    public static string Create(string folder)
    {
        Directory.CreateDirectory(folder);
        using var authority = TestCertificates.CreateAuthority($"SmtpOps Test Private CA {Guid.NewGuid():N}");
        using var key = authority.GetRSAPrivateKey()!;
        File.WriteAllText(Path.Combine(folder, CertificateFile), authority.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(folder, KeyFile), key.ExportPkcs8PrivateKeyPem() + "\n");
        var system = Array.Find(SystemBundles, File.Exists);
        var bundle = Path.Combine(folder, BundleFile);
        File.WriteAllText(bundle, (system is null ? string.Empty : File.ReadAllText(system).TrimEnd() + "\n") + authority.ExportCertificatePem() + "\n");
        return bundle;
    }

    /// <summary>
    /// Issues S/MIME certificates (SAN rfc822Name, EKU emailProtection) for <paramref name="addresses"/> from an intermediate
    /// CA under the CA in <paramref name="folder"/> (created there first when there is none), into <c>folder/smime</c>:
    /// per address <c>ADDRESS.pfx</c> (certificate, key and the intermediate), <c>ADDRESS.pem</c> (certificate only) and
    /// <c>ADDRESS.key.pem</c>; <c>intermediate.pem</c> beside them. Returns the smime folder.
    /// </summary>
    public static string IssueSmimeCertificates(string folder, IEnumerable<string> addresses, bool ecdsa = false, string? pfxPassword = null)
    {
        if (!File.Exists(Path.Combine(folder, CertificateFile)))
        {
            Create(folder);
        }

        using var authority = Load(folder);
        using var intermediate = TestCertificates.IssueIntermediateAuthority(authority, $"SmtpOps Test S/MIME Intermediate {Guid.NewGuid():N}");
        var smime = Path.Combine(folder, "smime");
        Directory.CreateDirectory(smime);
        File.WriteAllText(Path.Combine(smime, "intermediate.pem"), intermediate.ExportCertificatePem() + "\n");
        foreach (var address in addresses)
        {
            using var certificate = TestCertificates.IssueSmimeCertificate(intermediate, address, ecdsa);
            using var publicIntermediate = X509CertificateLoader.LoadCertificate(intermediate.RawData);
            var pfx = new X509Certificate2Collection { certificate, publicIntermediate };
            File.WriteAllBytes(Path.Combine(smime, address + ".pfx"), pfx.Export(X509ContentType.Pkcs12, pfxPassword)!);
            File.WriteAllText(Path.Combine(smime, address + ".pem"), certificate.ExportCertificatePem() + "\n");
            using AsymmetricAlgorithm key = ecdsa ? certificate.GetECDsaPrivateKey()! : certificate.GetRSAPrivateKey()!;
            File.WriteAllText(Path.Combine(smime, address + ".key.pem"), key.ExportPkcs8PrivateKeyPem() + "\n");
        }

        return smime;
    }

    /// <summary>Loads the CA (with its key) from <paramref name="folder"/>.</summary>
    public static X509Certificate2 Load(string folder)
    {
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(folder, CertificateFile), Path.Combine(folder, KeyFile));
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>
    /// Loads the CA of this test run (<see cref="FolderVariable"/>), after checking that this process trusts it;
    /// fails with what to do when the run was not set up for it.
    /// </summary>
    public static X509Certificate2 LoadTrusted()
    {
        var folder = Environment.GetEnvironmentVariable(FolderVariable);
        if (string.IsNullOrEmpty(folder) || !File.Exists(Path.Combine(folder, CertificateFile)))
        {
            throw new InvalidOperationException($"{FolderVariable} does not name a test CA folder: run the suites through './build.ps1 test', which creates the CA and starts them with SSL_CERT_FILE set.");
        }

        var authority = Load(folder);
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(authority))
        {
            throw new InvalidOperationException($"This process does not trust the test CA in {folder}: start it with SSL_CERT_FILE={Path.Combine(folder, BundleFile)}.");
        }

        return authority;
    }
}
