using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using MimeKit.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using X509KeyUsageFlags = System.Security.Cryptography.X509Certificates.X509KeyUsageFlags;

namespace SmtpOps.Smime;

/// <summary>
/// The e-mail addresses a certificate is issued to: its subject alternative name's rfc822Name entries
/// (RFC 8550 section 3), and the legacy emailAddress attribute of its subject, as mail clients read them.
/// </summary>
internal static class CertificateMailAddresses
{
    private const int Rfc822Name = 1;
    private const string EmailProtection = "1.3.6.1.5.5.7.3.4";
    private const string AnyExtendedKeyUsage = "2.5.29.37.0";

    /// <summary>Gets the addresses, without duplicates (compared without case), in the order the certificate lists them.</summary>
    public static IReadOnlyList<string> Of(X509Certificate2 certificate)
    {
        var addresses = new List<string>();
        var certificate2 = certificate.AsBouncyCastleCertificate();
        var names = certificate2.GetSubjectAlternativeNames();
        if (names is not null)
        {
            foreach (var name in names)
            {
                if (name.Count >= 2 && name[0] is int tag && tag == Rfc822Name && name[1] is string address)
                {
                    addresses.Add(address.Trim());
                }
            }
        }

        addresses.AddRange(certificate2.SubjectDN.GetValueList(X509Name.EmailAddress).Select(a => a.Trim()));
        return addresses.Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>Gets whether the certificate is issued to <paramref name="address"/> (compared without case).</summary>
    public static bool Names(X509Certificate2 certificate, string address)
        => Of(certificate).Contains(address, StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets whether the certificate's extended key usage (when it has one) allows e-mail protection.</summary>
    public static bool AllowsEmailProtection(X509Certificate2 certificate)
    {
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault()?.EnhancedKeyUsages;
        return usages is null || usages.Cast<System.Security.Cryptography.Oid>().Any(u => u.Value is EmailProtection or AnyExtendedKeyUsage);
    }

    /// <summary>Gets whether the certificate's key usage (when it has one) allows any of <paramref name="wanted"/>.</summary>
    public static bool AllowsKeyUsage(X509Certificate2 certificate, X509KeyUsageFlags wanted)
    {
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        return usage is null || (usage.KeyUsages & wanted) != 0;
    }

    /// <summary>Gets whether the certificate is within its validity period at <paramref name="now"/>.</summary>
    public static bool IsCurrent(X509Certificate2 certificate, DateTime now)
        => certificate.NotBefore.ToUniversalTime() <= now && now <= certificate.NotAfter.ToUniversalTime();
}
