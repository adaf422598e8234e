using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.Smtp;

/// <summary>
/// The TLS rules for talking to an SMTP server, one set for sending, probing and relaying: how the
/// security mode resolves for a port, whether credentials may go over the connection, and what
/// to make of the server's certificate (chain and name, extra trusted roots, pins, an explicit
/// skip, revocation). Opportunistic TLS stays opportunistic: without credentials, under Auto or
/// StartTlsWhenAvailable, a certificate that is not valid still gets the mail encrypted instead
/// of in clear, and the decision says so.
/// </summary>
public sealed record SmtpTlsPolicy
{
    private const string CrlDistributionPointsOid = "2.5.29.31";
    private const string AuthorityInformationAccessOid = "1.3.6.1.5.5.7.1.1";
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    private static readonly X509ChainStatusFlags RevocationFlags =
        X509ChainStatusFlags.Revoked | X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation;

    /// <summary>Gets how the connection is secured (Auto: implicit TLS on 465, STARTTLS when offered elsewhere).</summary>
    public SmtpSecurity Security { get; init; } = SmtpSecurity.Auto;

    /// <summary>Gets whether credentials may be sent over a connection without TLS (refused by default).</summary>
    public bool AllowUnencryptedAuthentication { get; init; }

    /// <summary>Gets whether any certificate is accepted without validation.</summary>
    public bool SkipCertificateCheck { get; init; }

    /// <summary>
    /// Gets pinned certificate thumbprints (SHA-1 or SHA-256, hex). When set, a certificate is
    /// accepted if and only if its thumbprint is one of these, whatever its chain.
    /// </summary>
    public IReadOnlyList<string> CertificateThumbprints { get; init; } = Array.Empty<string>();

    /// <summary>Gets extra root certificates to trust besides the machine's (an internal CA).</summary>
    public IReadOnlyList<X509Certificate2> TrustedRoots { get; init; } = Array.Empty<X509Certificate2>();

    /// <summary>Gets what to do about revocation; <see cref="CertificateRevocationMode.SoftFail"/> by default.</summary>
    public CertificateRevocationMode RevocationMode { get; init; } = CertificateRevocationMode.SoftFail;

    /// <summary>Gets whether the TLS handshake should ask for the revocation status (not when pinned, skipped or off).</summary>
    public bool ChecksRevocation => !SkipCertificateCheck && Pins.Count == 0 && RevocationMode != CertificateRevocationMode.NoCheck;

    // The thumbprints as hex digits only ("AB:CD ..." and "abcd" are the same pin); empty entries pin nothing.
    private HashSet<string> Pins => new(CertificateThumbprints.Select(NormalizeThumbprint).Where(t => t.Length > 0), StringComparer.Ordinal);

    /// <summary>The security that Send-MailMessage's -UseSsl means on a port: STARTTLS required, implicit TLS on 465.</summary>
    /// <param name="port">The port.</param>
    /// <returns><see cref="SmtpSecurity.SslOnConnect"/> on 465, otherwise <see cref="SmtpSecurity.StartTls"/>.</returns>
    public static SmtpSecurity SecurityForUseSsl(int port) => port == 465 ? SmtpSecurity.SslOnConnect : SmtpSecurity.StartTls;

    /// <summary>Gets the port used when none is given: 465 for implicit TLS, 25 otherwise.</summary>
    /// <param name="port">The port given, or 0.</param>
    /// <returns>The port to connect to.</returns>
    public int EffectivePort(int port) => port != 0 ? port : Security == SmtpSecurity.SslOnConnect ? 465 : 25;

    /// <summary>Resolves <see cref="SmtpSecurity.Auto"/> for a port: implicit TLS on 465, STARTTLS when offered elsewhere.</summary>
    /// <param name="port">The port connected to.</param>
    /// <returns>Never <see cref="SmtpSecurity.Auto"/>.</returns>
    public SmtpSecurity ResolveSecurity(int port) => Security switch
    {
        SmtpSecurity.Auto => port == 465 ? SmtpSecurity.SslOnConnect : SmtpSecurity.StartTlsWhenAvailable,
        _ => Security,
    };

    /// <summary>
    /// Gets whether TLS is opportunistic on this port: no credentials, and a mode that would send in
    /// clear without STARTTLS. Only then is a certificate that is not valid still used (unvalidated).
    /// </summary>
    /// <param name="port">The port connected to.</param>
    /// <param name="authenticates">Whether credentials will be sent.</param>
    /// <returns>Whether an invalid certificate is used rather than refused.</returns>
    public bool IsOpportunistic(int port, bool authenticates) => !authenticates && ResolveSecurity(port) == SmtpSecurity.StartTlsWhenAvailable;

    /// <summary>Says what in this policy contradicts itself, or <c>null</c> when nothing does.</summary>
    /// <returns>The contradiction, or <c>null</c>.</returns>
    public string? FindConflict()
        => SkipCertificateCheck && Pins.Count > 0
            ? "Skipping the certificate check accepts any certificate, so a pinned thumbprint would pin nothing: use one or the other."
            : null;

    /// <summary>Says why credentials must not be sent over this connection, or <c>null</c> when they may.</summary>
    /// <param name="secure">Whether the connection is encrypted.</param>
    /// <param name="server">host:port, for the message.</param>
    /// <returns>The refusal, or <c>null</c>.</returns>
    public string? RefuseCredentials(bool secure, string server)
        => secure || AllowUnencryptedAuthentication
            ? null
            : $"Refusing to send credentials to {server} over a connection without TLS. Use Security StartTls or SslOnConnect, or allow unencrypted authentication explicitly.";

    /// <summary>
    /// Judges the certificate a TLS handshake presented, from what the handshake reports (call it from a
    /// <see cref="RemoteCertificateValidationCallback"/> of a handshake that checked revocation when
    /// <see cref="ChecksRevocation"/> says so).
    /// </summary>
    /// <param name="host">The name the client asked for (what the certificate must name).</param>
    /// <param name="certificate">The server's certificate, or <c>null</c> if it sent none.</param>
    /// <param name="chain">The chain the handshake built.</param>
    /// <param name="errors">What the handshake found wrong.</param>
    /// <param name="opportunistic">Whether TLS is opportunistic (see <see cref="IsOpportunistic"/>).</param>
    /// <returns>The decision with its reason.</returns>
    public ServerCertificateDecision Judge(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, bool opportunistic)
    {
        if (certificate is null)
        {
            return new ServerCertificateDecision { Trust = CertificateTrust.Refused, Reason = "the server presented no certificate" };
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        var statuses = errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) ? ChainStatuses(leaf, chain) : X509ChainStatusFlags.NoError;
        var problems = Enum.GetValues(typeof(X509ChainStatusFlags)).Cast<X509ChainStatusFlags>()
            .Where(flag => flag != X509ChainStatusFlags.NoError && (flag & RevocationFlags) == 0 && statuses.HasFlag(flag))
            .Select(flag => flag.ToString())
            .ToList();
        // Chain errors reported without a single status (nothing to tell more): say so rather than call it trusted.
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && statuses == X509ChainStatusFlags.NoError && Flags(chain) == X509ChainStatusFlags.NoError)
        {
            problems.Add(nameof(SslPolicyErrors.RemoteCertificateChainErrors));
        }

        // A chain that is not trusted says nothing about revocation: its status was not learned.
        var revocation = !ChecksRevocation ? CertificateRevocationStatus.NotChecked
            : statuses.HasFlag(X509ChainStatusFlags.Revoked) ? CertificateRevocationStatus.Revoked
            : (statuses & RevocationFlags) != 0 ? CertificateRevocationStatus.Unknown
            : problems.Count == 0 ? CertificateRevocationStatus.Good
            : CertificateRevocationStatus.NotChecked;
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            problems.Add("NameMismatch");
        }

        var revocationDetail = revocation switch
        {
            CertificateRevocationStatus.Unknown => HasExtension(leaf, CrlDistributionPointsOid) || HasExtension(leaf, AuthorityInformationAccessOid)
                ? "its CRL distribution point or OCSP responder could not be reached"
                : "it names no CRL distribution point or OCSP responder",
            CertificateRevocationStatus.Revoked => "revoked by its issuer",
            CertificateRevocationStatus.Good => "not revoked",
            _ => null,
        };

        var sha1 = leaf.Thumbprint.ToUpperInvariant();
        var sha256 = Sha256(leaf);
        var decision = new ServerCertificateDecision
        {
            Revocation = revocation,
            RevocationDetail = revocationDetail,
            Problems = problems,
            Subject = leaf.Subject,
            Issuer = leaf.Issuer,
            Thumbprint = sha1,
            Sha256Thumbprint = sha256,
            NotAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero),
        };
        var found = Describe(leaf, host, problems);
        var pins = Pins;

        if (SkipCertificateCheck)
        {
            return Decide(decision, CertificateTrust.Skipped, $"accepted without validation (the certificate check is skipped){(found is null ? string.Empty : "; " + found)}", null);
        }

        if (pins.Count > 0)
        {
            return pins.Contains(sha1) || pins.Contains(sha256)
                ? Decide(decision, CertificateTrust.Pinned, $"pinned by its thumbprint {sha1}{(found is null ? string.Empty : "; chain not judged: " + found)}", null)
                : Decide(decision, CertificateTrust.Refused, $"its thumbprint {sha1} (SHA-256 {sha256}) is not one of the pinned thumbprints", "Pin the thumbprint the server presents now if its certificate was renewed on purpose.");
        }

        if (revocation == CertificateRevocationStatus.Revoked)
        {
            return Decide(decision, CertificateTrust.Refused, $"'{leaf.Subject}' was revoked by its issuer ({leaf.Issuer})", "The server needs a new certificate; a revoked one is refused in every mode but an explicit skip.");
        }

        var unknownRefused = revocation == CertificateRevocationStatus.Unknown && RevocationMode == CertificateRevocationMode.Strict;
        if (problems.Count == 0 && !unknownRefused)
        {
            return revocation == CertificateRevocationStatus.Unknown
                ? Decide(decision, CertificateTrust.Trusted, $"trusted (issued by {leaf.Issuer}); revocation status unknown: {revocationDetail}", "Accepted because the revocation mode is SoftFail; Strict would refuse it.")
                : Decide(decision, CertificateTrust.Trusted, $"trusted (issued by {leaf.Issuer}){(revocation == CertificateRevocationStatus.Good ? "; not revoked" : string.Empty)}", null);
        }

        var wrong = unknownRefused && found is null
            ? $"revocation status unknown ({revocationDetail}) and the revocation mode is Strict"
            : found ?? "not valid";
        if (opportunistic)
        {
            return Decide(decision, CertificateTrust.Unvalidated, $"not validated: {wrong}; the mail is still encrypted (opportunistic TLS without credentials)", $"The server is not authenticated. {AdviceFor(leaf, problems, unknownRefused, sha1, sha256)}");
        }

        return Decide(decision, CertificateTrust.Refused, $"'{leaf.Subject}' is not trusted: {wrong}", AdviceFor(leaf, problems, unknownRefused, sha1, sha256));
    }

    /// <summary>Gets the DNS names and IP addresses of a certificate's subject alternative name extension.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <returns>The names, empty without the extension.</returns>
    internal static IReadOnlyList<string> SubjectAlternativeNames(X509Certificate2 certificate)
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

    private static ServerCertificateDecision Decide(ServerCertificateDecision facts, CertificateTrust trust, string reason, string? advice)
        => facts with { Trust = trust, Reason = reason, Advice = advice };

    // The handshake's chain, or (with extra trusted roots) the chain built again with them as trust anchors.
    private X509ChainStatusFlags ChainStatuses(X509Certificate2 leaf, X509Chain? chain)
    {
        var reported = Flags(chain);
        if (TrustedRoots.Count == 0 || (reported & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) == 0)
        {
            return reported;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.RevocationMode = ChecksRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        custom.ChainPolicy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
        foreach (var element in chain?.ChainElements.Cast<X509ChainElement>() ?? Enumerable.Empty<X509ChainElement>())
        {
            custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        var anchoredByRuntime = TrustOnly(custom.ChainPolicy, TrustedRoots);
        if (!anchoredByRuntime)
        {
            // .NET Framework: no custom trust store. Accept an unknown root and check that it is one of ours;
            // revocation is then not learned on every platform (no CRL is fetched for an untrusted root).
            custom.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            foreach (var root in TrustedRoots)
            {
                custom.ChainPolicy.ExtraStore.Add(root);
            }
        }

        custom.Build(leaf);
        var top = custom.ChainElements.Count > 0 ? custom.ChainElements[custom.ChainElements.Count - 1].Certificate : null;
        var anchored = top is not null && TrustedRoots.Any(r => string.Equals(r.Thumbprint, top.Thumbprint, StringComparison.OrdinalIgnoreCase));
        var rebuilt = Flags(custom);
        return anchored
            ? rebuilt & ~(X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)
            : rebuilt | X509ChainStatusFlags.UntrustedRoot;
    }

    // .NET 5 and later (PowerShell 7, the relay): the given roots become the only trust anchors, so the chain
    // is checked as fully as one to a machine root, revocation included. The API is newer than netstandard2.0.
    private static bool TrustOnly(X509ChainPolicy policy, IEnumerable<X509Certificate2> roots)
    {
        var trustMode = policy.GetType().GetProperty("TrustMode");
        if (trustMode is null || policy.GetType().GetProperty("CustomTrustStore")?.GetValue(policy) is not X509Certificate2Collection store)
        {
            return false;
        }

        trustMode.SetValue(policy, Enum.ToObject(trustMode.PropertyType, 1)); // X509ChainTrustMode.CustomRootTrust
        foreach (var root in roots)
        {
            store.Add(root);
        }

        return true;
    }

    private static X509ChainStatusFlags Flags(X509Chain? chain)
        => chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, status) => all | status.Status) ?? X509ChainStatusFlags.NoError;

    private static string? Describe(X509Certificate2 leaf, string host, IReadOnlyList<string> problems)
    {
        if (problems.Count == 0)
        {
            return null;
        }

        var selfSigned = string.Equals(leaf.Subject, leaf.Issuer, StringComparison.Ordinal);
        return string.Join(", ", problems.Select(problem => problem switch
        {
            nameof(X509ChainStatusFlags.UntrustedRoot) when selfSigned => "self-signed and not trusted here",
            nameof(X509ChainStatusFlags.UntrustedRoot) => $"issued by a CA this machine does not trust ({leaf.Issuer})",
            nameof(X509ChainStatusFlags.PartialChain) => $"issued by a CA this machine does not trust or cannot find ({leaf.Issuer}): its chain does not reach a trusted root",
            nameof(X509ChainStatusFlags.NotTimeValid) when leaf.NotAfter.ToUniversalTime() < DateTime.UtcNow => $"expired on {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd}",
            nameof(X509ChainStatusFlags.NotTimeValid) => $"not valid before {leaf.NotBefore.ToUniversalTime():yyyy-MM-dd}",
            "NameMismatch" => $"it does not name {host} (it names {Names(leaf)})",
            _ => problem,
        }));
    }

    private static string AdviceFor(X509Certificate2 leaf, IReadOnlyList<string> problems, bool unknownRefused, string sha1, string sha256)
    {
        var pin = $"pin its thumbprint {sha1} (SHA-256 {sha256})";
        if (problems.Contains(nameof(X509ChainStatusFlags.UntrustedRoot)) || problems.Contains(nameof(X509ChainStatusFlags.PartialChain)))
        {
            return string.Equals(leaf.Subject, leaf.Issuer, StringComparison.Ordinal)
                ? $"Pin its thumbprint {sha1} (SHA-256 {sha256}), or trust it as a root."
                : $"Trust the CA that issued it ({leaf.Issuer}): add it to this machine's trusted roots or pass it as a trusted root; or {pin}.";
        }

        if (problems.Contains(nameof(X509ChainStatusFlags.NotTimeValid)))
        {
            return $"Renew the server's certificate; or {pin} until it is renewed.";
        }

        if (problems.Contains("NameMismatch"))
        {
            return $"Connect by a name the certificate carries ({Names(leaf)}), or {pin}.";
        }

        return unknownRefused
            ? "Make its CRL distribution point or OCSP responder reachable from here, or accept an unknown status (revocation mode SoftFail)."
            : $"Fix the server's certificate, or {pin}.";
    }

    private static string Names(X509Certificate2 leaf)
    {
        var names = SubjectAlternativeNames(leaf);
        return names.Count > 0 ? string.Join(", ", names) : leaf.Subject;
    }

    private static bool HasExtension(X509Certificate2 certificate, string oid)
        => certificate.Extensions.Cast<X509Extension>().Any(e => e.Oid?.Value == oid);

    private static string Sha256(X509Certificate certificate)
    {
        using var sha = SHA256.Create();
        return BitConverter.ToString(sha.ComputeHash(certificate.GetRawCertData())).Replace("-", string.Empty);
    }

    private static string NormalizeThumbprint(string thumbprint)
        => new string(thumbprint.Where(Uri.IsHexDigit).ToArray()).ToUpperInvariant();
}
