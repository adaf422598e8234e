using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.Smime;

/// <summary>
/// Recipients' encryption certificates by e-mail address: each certificate stands for the addresses in its subject
/// alternative name (rfc822Name) and subject (emailAddress); a certificate file named after an address
/// (<c>ops@contoso.com.cer</c>) stands for that address too. Where several certificates name an address, the one
/// valid now that expires last is used.
/// </summary>
public sealed class RecipientCertificateSet
{
    private static readonly string[] FileExtensions = { ".cer", ".crt", ".pem", ".der" };
    private readonly Dictionary<string, List<X509Certificate2>> byAddress;

    private RecipientCertificateSet(Dictionary<string, List<X509Certificate2>> byAddress) => this.byAddress = byAddress;

    /// <summary>Gets the addresses a certificate is known for.</summary>
    public IReadOnlyCollection<string> Addresses => byAddress.Keys.ToList().AsReadOnly();

    /// <summary>Makes the set from certificates, each standing for the addresses it is issued to.</summary>
    /// <param name="certificates">The recipients' certificates.</param>
    /// <returns>The set.</returns>
    public static RecipientCertificateSet FromCertificates(IEnumerable<X509Certificate2> certificates)
    {
        var set = new Dictionary<string, List<X509Certificate2>>(StringComparer.OrdinalIgnoreCase);
        foreach (var certificate in certificates ?? throw new ArgumentNullException(nameof(certificates)))
        {
            Add(set, certificate, CertificateMailAddresses.Of(certificate));
        }

        return new RecipientCertificateSet(set);
    }

    /// <summary>
    /// Reads every certificate file (.cer, .crt, .pem, .der; DER or PEM, a .pem may hold several) in a folder; other files are ignored.
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <returns>The set.</returns>
    /// <exception cref="SmimeException">The folder does not exist, or a certificate file in it cannot be read.</exception>
    public static RecipientCertificateSet FromFolder(string folder)
    {
        if (!Directory.Exists(folder ?? throw new ArgumentNullException(nameof(folder))))
        {
            throw new SmimeException(SmimeFailureKind.CertificateFileUnreadable, new[] { folder }, $"The recipient certificate folder '{folder}' does not exist.");
        }

        var set = new Dictionary<string, List<X509Certificate2>>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.EnumerateFiles(folder).Where(f => FileExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).OrderBy(f => f, StringComparer.Ordinal))
        {
            var named = Path.GetFileNameWithoutExtension(file);
            foreach (var certificate in ReadFile(file))
            {
                var addresses = CertificateMailAddresses.Of(certificate).ToList();
                if (named.IndexOf('@') > 0)
                {
                    addresses.Add(named);
                }

                Add(set, certificate, addresses);
            }
        }

        return new RecipientCertificateSet(set);
    }

    /// <summary>Makes a set holding this set's certificates and <paramref name="certificates"/> (each for the addresses it is issued to).</summary>
    /// <param name="certificates">More recipients' certificates.</param>
    /// <returns>The combined set; this one is unchanged.</returns>
    public RecipientCertificateSet With(IEnumerable<X509Certificate2> certificates)
    {
        var set = byAddress.ToDictionary(e => e.Key, e => e.Value.ToList(), StringComparer.OrdinalIgnoreCase);
        foreach (var certificate in certificates ?? throw new ArgumentNullException(nameof(certificates)))
        {
            Add(set, certificate, CertificateMailAddresses.Of(certificate));
        }

        return new RecipientCertificateSet(set);
    }

    /// <summary>Finds the certificate for an address: of those naming it, the one valid now that expires last (or the last to expire).</summary>
    /// <param name="address">The recipient's address.</param>
    /// <returns>The certificate, or <c>null</c> when there is none for the address.</returns>
    public X509Certificate2? Find(string address)
    {
        if (!byAddress.TryGetValue(address ?? throw new ArgumentNullException(nameof(address)), out var candidates))
        {
            return null;
        }

        var now = DateTime.UtcNow;
        return candidates.OrderByDescending(c => CertificateMailAddresses.IsCurrent(c, now)).ThenByDescending(c => c.NotAfter).First();
    }

    private static void Add(Dictionary<string, List<X509Certificate2>> set, X509Certificate2 certificate, IEnumerable<string> addresses)
    {
        foreach (var address in addresses.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (!set.TryGetValue(address, out var list))
            {
                set[address] = list = new List<X509Certificate2>();
            }

            list.Add(certificate);
        }
    }

    private static IReadOnlyList<X509Certificate2> ReadFile(string file)
    {
        try
        {
            var bytes = File.ReadAllBytes(file);
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            if (text.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) < 0)
            {
                return new[] { new X509Certificate2(bytes) };
            }

            var result = new List<X509Certificate2>();
            const string Begin = "-----BEGIN CERTIFICATE-----";
            const string End = "-----END CERTIFICATE-----";
            for (var start = text.IndexOf(Begin, StringComparison.Ordinal); start >= 0; start = text.IndexOf(Begin, start + Begin.Length, StringComparison.Ordinal))
            {
                var end = text.IndexOf(End, start, StringComparison.Ordinal);
                if (end < 0)
                {
                    break;
                }

                var body = text.Substring(start + Begin.Length, end - start - Begin.Length);
                result.Add(new X509Certificate2(Convert.FromBase64String(body)));
            }

            return result;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new SmimeException(SmimeFailureKind.CertificateFileUnreadable, new[] { file }, $"The certificate file '{file}' cannot be read as a certificate (DER or PEM): {ex.Message}", ex);
        }
    }
}
