using System;
using System.Collections.Generic;
using SmtpOps.Smtp;

namespace SmtpOps.Probing;

/// <summary>The server's certificate as the probe saw it, and what was wrong with it.</summary>
public sealed class ProbeCertificate
{
    /// <summary>Gets the subject distinguished name.</summary>
    public string Subject { get; init; } = string.Empty;

    /// <summary>Gets the DNS names and IP addresses of the subject alternative name extension.</summary>
    public IReadOnlyList<string> SubjectAlternativeNames { get; init; } = Array.Empty<string>();

    /// <summary>Gets the issuer distinguished name.</summary>
    public string Issuer { get; init; } = string.Empty;

    /// <summary>Gets the start of validity.</summary>
    public DateTimeOffset NotBefore { get; init; }

    /// <summary>Gets the end of validity.</summary>
    public DateTimeOffset NotAfter { get; init; }

    /// <summary>Gets the whole days left until <see cref="NotAfter"/> (negative once expired).</summary>
    public int DaysLeft { get; init; }

    /// <summary>Gets the SHA-1 thumbprint (hex), the value to pin with -CertificateThumbprint.</summary>
    public string Thumbprint { get; init; } = string.Empty;

    /// <summary>Gets the SHA-256 thumbprint (hex), also accepted by -CertificateThumbprint.</summary>
    public string Sha256Thumbprint { get; init; } = string.Empty;

    /// <summary>Gets whether the chain builds to a trusted root, every element is valid and nothing is known to be revoked.</summary>
    public bool ChainValid { get; init; }

    /// <summary>Gets whether the certificate names the host that was probed.</summary>
    public bool NameMatches { get; init; }

    /// <summary>Gets the chain problems (e.g. UntrustedRoot, NotTimeValid, Revoked), empty when valid.</summary>
    public IReadOnlyList<string> ChainErrors { get; init; } = Array.Empty<string>();

    /// <summary>Gets what the TLS policy decided about the certificate: what sending with the same settings would do.</summary>
    public ServerCertificateDecision Decision { get; init; } = new();

    /// <summary>Gets how sending with the same settings would accept the certificate (Refused when it would not).</summary>
    public CertificateTrust Trust => Decision.Trust;

    /// <summary>Gets what is known about the certificate's revocation.</summary>
    public CertificateRevocationStatus Revocation => Decision.Revocation;

    /// <inheritdoc />
    public override string ToString() => $"{Subject} (issuer {Issuer}, expires {NotAfter:yyyy-MM-dd}; {Trust}, revocation {Revocation})";
}
