using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.Probing;

/// <summary>
/// Turns what the TLS handshake reports about the server certificate into a
/// <see cref="ProbeCertificate"/>; extra trusted roots (an internal or test CA) count as trusted.
/// </summary>
internal static class CertificateEvaluation
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    public static ProbeCertificate Evaluate(X509Certificate certificate, X509Chain? chain, SslPolicyErrors errors, IReadOnlyList<X509Certificate2> trustedRoots, DateTimeOffset now)
    {
        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        var chainErrors = ChainErrors(leaf, chain, errors, trustedRoots);
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        return new ProbeCertificate
        {
            Subject = leaf.Subject,
            SubjectAlternativeNames = SubjectAlternativeNames(leaf),
            Issuer = leaf.Issuer,
            NotBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            NotAfter = notAfter,
            DaysLeft = (int)Math.Floor((notAfter - now).TotalDays),
            Thumbprint = leaf.Thumbprint,
            ChainValid = chainErrors.Count == 0,
            NameMatches = !errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch),
            ChainErrors = chainErrors,
        };
    }

    private static IReadOnlyList<string> ChainErrors(X509Certificate2 leaf, X509Chain? chain, SslPolicyErrors errors, IReadOnlyList<X509Certificate2> trustedRoots)
    {
        if (!errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            return Array.Empty<string>();
        }

        var reported = Statuses(chain);
        if (trustedRoots.Count == 0)
        {
            return reported.Count > 0 ? reported : new[] { "RemoteCertificateChainErrors" };
        }

        // Build again with the extra roots; the chain is trusted if it ends in one of them and
        // nothing but the root's unknown-ness is wrong.
        using var custom = new X509Chain();
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
        foreach (var root in trustedRoots)
        {
            custom.ChainPolicy.ExtraStore.Add(root);
        }

        foreach (var element in chain?.ChainElements.Cast<X509ChainElement>() ?? Enumerable.Empty<X509ChainElement>())
        {
            custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        custom.Build(leaf);
        var top = custom.ChainElements.Count > 0 ? custom.ChainElements[custom.ChainElements.Count - 1].Certificate : null;
        var anchored = top is not null && trustedRoots.Any(r => string.Equals(r.Thumbprint, top.Thumbprint, StringComparison.OrdinalIgnoreCase));
        var remaining = Statuses(custom).Where(s => !(anchored && s == nameof(X509ChainStatusFlags.UntrustedRoot))).ToList();
        if (!anchored && remaining.Count == 0)
        {
            remaining.Add(nameof(X509ChainStatusFlags.UntrustedRoot));
        }

        return remaining;
    }

    private static List<string> Statuses(X509Chain? chain)
        => chain?.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).Select(s => s.Status.ToString()).Distinct().ToList() ?? new List<string>();

    private static IReadOnlyList<string> SubjectAlternativeNames(X509Certificate2 certificate)
    {
        // netstandard2.0 has no typed SAN extension: parse its text form, which is
        // "DNS:a, IP Address:1.2.3.4" on Linux and "DNS Name=a, IP Address=1.2.3.4" on Windows.
        var extension = certificate.Extensions.Cast<X509Extension>().FirstOrDefault(e => e.Oid?.Value == SubjectAlternativeNameOid);
        if (extension is null)
        {
            return Array.Empty<string>();
        }

        return extension.Format(false)
            .Split(new[] { ',', '\n', '\r' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Trim())
            .Select(entry => entry.IndexOfAny(new[] { ':', '=' }) is var at and >= 0 ? entry.Substring(at + 1).Trim() : entry)
            .Where(name => name.Length > 0)
            .ToList();
    }
}
