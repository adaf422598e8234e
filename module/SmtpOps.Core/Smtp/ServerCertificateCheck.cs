using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.Smtp;

/// <summary>
/// Decides whether to trust the server's certificate: normal chain and name validation by
/// default, a pinned thumbprint, or (explicitly) anything. Remembers why it refused.
/// </summary>
internal sealed class ServerCertificateCheck
{
    private readonly bool skip;
    private readonly HashSet<string> pins;

    public ServerCertificateCheck(bool skip, IEnumerable<string> thumbprints)
    {
        this.skip = skip;
        pins = new HashSet<string>(thumbprints.Select(Normalize).Where(t => t.Length > 0), StringComparer.Ordinal);
    }

    /// <summary>Gets why the last certificate was refused, or <c>null</c>.</summary>
    public string? LastRefusal { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        LastRefusal = null;
        if (skip)
        {
            return true;
        }

        if (certificate is null)
        {
            LastRefusal = "the server presented no certificate";
            return false;
        }

        var sha1 = certificate.GetCertHashString().ToUpperInvariant();
        var sha256 = Sha256(certificate);
        if (pins.Count > 0)
        {
            if (pins.Contains(sha1) || pins.Contains(sha256))
            {
                return true;
            }

            LastRefusal = $"its thumbprint {sha1} (SHA-256 {sha256}) is not one of the pinned thumbprints";
            return false;
        }

        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        var chainStatus = chain?.ChainStatus.Select(s => s.Status.ToString()).Where(s => s != "NoError").Distinct().ToArray() ?? Array.Empty<string>();
        LastRefusal = $"{errors}{(chainStatus.Length > 0 ? " (" + string.Join(", ", chainStatus) + ")" : string.Empty)} for '{certificate.Subject}', thumbprint {sha1}";
        return false;
    }

    private static string Sha256(X509Certificate certificate)
    {
        using var sha = SHA256.Create();
        return BitConverter.ToString(sha.ComputeHash(certificate.GetRawCertData())).Replace("-", string.Empty);
    }

    private static string Normalize(string thumbprint)
        => new string(thumbprint.Where(Uri.IsHexDigit).ToArray()).ToUpperInvariant();
}
