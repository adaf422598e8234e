using System;
using System.Collections.Generic;

namespace SmtpOps.Smtp;

/// <summary>
/// What <see cref="SmtpTlsPolicy"/> decided about one server certificate, and why: the same decision
/// for sending, probing and relaying.
/// </summary>
public sealed record ServerCertificateDecision
{
    /// <summary>Gets how the certificate was judged; anything but <see cref="CertificateTrust.Refused"/> is accepted.</summary>
    public CertificateTrust Trust { get; init; }

    /// <summary>Gets whether the connection may be used.</summary>
    public bool Accepted => Trust != CertificateTrust.Refused;

    /// <summary>Gets what is known about revocation.</summary>
    public CertificateRevocationStatus Revocation { get; init; }

    /// <summary>Gets why the revocation status is unknown (or how it was learned), or <c>null</c>.</summary>
    public string? RevocationDetail { get; init; }

    /// <summary>
    /// Gets what is wrong with the certificate apart from revocation, as X509 chain status names
    /// (UntrustedRoot, PartialChain, NotTimeValid, ...) plus NameMismatch; empty when nothing is.
    /// </summary>
    public IReadOnlyList<string> Problems { get; init; } = Array.Empty<string>();

    /// <summary>Gets the subject distinguished name.</summary>
    public string Subject { get; init; } = string.Empty;

    /// <summary>Gets the issuer distinguished name.</summary>
    public string Issuer { get; init; } = string.Empty;

    /// <summary>Gets the SHA-1 thumbprint (hex), a value to pin.</summary>
    public string Thumbprint { get; init; } = string.Empty;

    /// <summary>Gets the SHA-256 thumbprint (hex), a value to pin.</summary>
    public string Sha256Thumbprint { get; init; } = string.Empty;

    /// <summary>Gets the end of validity.</summary>
    public DateTimeOffset NotAfter { get; init; }

    /// <summary>Gets the decision in one sentence, e.g. "trusted (issued by CN=Corp CA); revocation status unknown: ...".</summary>
    public string Reason { get; init; } = string.Empty;

    /// <summary>Gets what to do about it when it was refused or accepted with a reservation, or <c>null</c>.</summary>
    public string? Advice { get; init; }

    /// <summary>Gets whether the user should be told about an acceptance: encryption without validation, or revocation unknown.</summary>
    public bool WarrantsWarning => Trust == CertificateTrust.Unvalidated || (Accepted && Revocation == CertificateRevocationStatus.Unknown);

    /// <inheritdoc />
    public override string ToString() => Reason;
}
