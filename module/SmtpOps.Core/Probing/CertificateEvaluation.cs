using System;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using SmtpOps.Smtp;

namespace SmtpOps.Probing;

/// <summary>Turns the server certificate and the TLS policy's decision about it into a <see cref="ProbeCertificate"/>.</summary>
internal static class CertificateEvaluation
{
    public static ProbeCertificate Evaluate(X509Certificate certificate, ServerCertificateDecision decision, DateTimeOffset now)
    {
        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        var chainErrors = decision.Problems.Where(p => p != "NameMismatch").ToList();
        if (decision.Revocation == CertificateRevocationStatus.Revoked)
        {
            chainErrors.Add(nameof(X509ChainStatusFlags.Revoked));
        }

        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        return new ProbeCertificate
        {
            Subject = leaf.Subject,
            SubjectAlternativeNames = SmtpTlsPolicy.SubjectAlternativeNames(leaf),
            Issuer = leaf.Issuer,
            NotBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            NotAfter = notAfter,
            DaysLeft = (int)Math.Floor((notAfter - now).TotalDays),
            Thumbprint = decision.Thumbprint,
            Sha256Thumbprint = decision.Sha256Thumbprint,
            ChainValid = chainErrors.Count == 0,
            NameMatches = !decision.Problems.Contains("NameMismatch"),
            ChainErrors = chainErrors,
            Decision = decision,
        };
    }
}
