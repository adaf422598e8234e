using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Smtp;

namespace SmtpOps.Probing;

/// <summary>
/// The probe's rules: what it saw (a <see cref="ProbeObservation"/>) in, Pass/Warn/Fail checks out.
/// No I/O: <see cref="SmtpProbe"/> records, this judges. The certificate checks and "TLS policy"
/// follow <see cref="SmtpTlsPolicy"/>'s decision, so a Fail means a send with the same settings is refused.
/// </summary>
internal static class ProbeJudge
{
    private static readonly string[] ObsoleteProtocols = { "Ssl2", "Ssl3", "Tls", "Tls11" };
    private static readonly string[] DeprecatedVersions = { "TLS 1.0", "TLS 1.1" };

    /// <summary>Judges what a probe saw into its result: the findings and a verdict per check.</summary>
    /// <param name="seen">What the probe saw.</param>
    /// <param name="total">How long the probe took.</param>
    /// <returns>The result the probe returns.</returns>
    public static SmtpProbeResult Judge(ProbeObservation seen, TimeSpan total) => new()
    {
        ComputerName = seen.Options.Host,
        IPAddress = seen.Address,
        Port = seen.Options.Port,
        Connected = seen.Connected,
        Banner = seen.Banner,
        BannerHostName = seen.BannerHostName,
        ExtensionsBeforeTls = seen.ImplicitTls ? Array.Empty<string>() : seen.ExtensionsBeforeTls,
        ExtensionsAfterTls = seen.ImplicitTls ? seen.ExtensionsBeforeTls : seen.ExtensionsAfterTls,
        TlsMode = !seen.TlsEstablished ? "None" : seen.ImplicitTls ? "Implicit" : "StartTls",
        TlsProtocol = seen.TlsProtocol,
        CipherSuite = seen.CipherSuite,
        Certificate = seen.Certificate,
        TlsVersions = seen.TlsVersions,
        CipherClasses = seen.CipherClasses,
        AuthMechanismsBeforeTls = seen.ImplicitTls ? Array.Empty<string>() : ProbeObservation.AuthMechanismsOf(seen.ExtensionsBeforeTls),
        AuthMechanisms = ProbeObservation.AuthMechanismsOf(seen.FinalExtensions),
        AuthReply = seen.AuthReply,
        RecipientReply = seen.RecipientReply,
        OpenRelay = seen.RelayReply is null ? null : seen.RelayReply.IsPositive,
        Timings = new ProbeTimings
        {
            Connect = seen.Connect,
            Banner = seen.BannerTime,
            Ehlo = seen.EhloTime,
            TlsHandshake = seen.TlsTime,
            Auth = seen.AuthTime,
            Recipient = seen.RecipientTime,
            TlsScan = seen.TlsScanTime,
            Total = total,
        },
        Checks = Checks(seen),
        Failure = seen.Failure != ProbeFailure.None ? seen.Failure
            : seen.Banner is { Code: not 220 } || seen.Ehlo is { IsPositive: false } ? ProbeFailure.ServiceRefused
            : ProbeFailure.None,
        Error = seen.Error ?? (seen.Banner is { Code: not 220 } ? $"the server refuses service: {seen.Banner}" : seen.Ehlo is { IsPositive: false } ? $"EHLO refused: {seen.Ehlo}" : null),
    };

    /// <summary>The checks for what a probe saw, in the order the dialogue ran.</summary>
    /// <param name="seen">What the probe saw.</param>
    /// <returns>The checks.</returns>
    public static IReadOnlyList<ProbeCheck> Checks(ProbeObservation seen) => JudgeDialogue(seen).ToList();

    private static IEnumerable<ProbeCheck> JudgeDialogue(ProbeObservation seen)
    {
        if (!seen.Connected)
        {
            yield return new ProbeCheck("Connect", ProbeVerdict.Fail, $"cannot connect to {seen.Address ?? seen.Options.Host}:{seen.Options.Port}: {seen.Error}");
            yield break;
        }

        yield return new ProbeCheck("Connect", ProbeVerdict.Pass, $"connected to {seen.Address}:{seen.Options.Port} in {seen.Connect?.TotalMilliseconds:0} ms");

        if (seen.ImplicitTls)
        {
            yield return seen.TlsEstablished
                ? new ProbeCheck("Implicit TLS", ProbeVerdict.Pass, $"{seen.TlsProtocol}, {seen.CipherSuite}")
                : new ProbeCheck("Implicit TLS", ProbeVerdict.Fail, $"TLS handshake failed: {seen.Error}{TlsFailureCause(seen)}");
            if (!seen.TlsEstablished)
            {
                foreach (var check in JudgeTlsOffers(seen))
                {
                    yield return check;
                }

                yield break;
            }
        }

        if (seen.Banner is null)
        {
            yield return new ProbeCheck("Banner", ProbeVerdict.Fail, seen.FailedStage == ProbeStage.Banner ? $"no greeting: {seen.Error}" : "no greeting");
            yield break;
        }

        yield return seen.Banner.Code == 220
            ? new ProbeCheck("Banner", ProbeVerdict.Pass, seen.Banner.ToString())
            : new ProbeCheck("Banner", ProbeVerdict.Fail, $"the server refuses service: {seen.Banner}");
        if (seen.Banner.Code != 220)
        {
            yield break;
        }

        if (seen.Ehlo is null || !seen.Ehlo.IsPositive)
        {
            yield return new ProbeCheck("EHLO", ProbeVerdict.Fail, seen.Ehlo is null ? $"no answer to EHLO: {seen.Error}" : $"EHLO refused: {seen.Ehlo}");
            yield break;
        }

        yield return new ProbeCheck("EHLO", ProbeVerdict.Pass, $"{seen.ExtensionsBeforeTls.Count} extensions: {string.Join(", ", seen.ExtensionsBeforeTls.Select(e => e.Split(' ')[0]))}");

        foreach (var check in JudgeTls(seen))
        {
            yield return check;
        }

        foreach (var check in JudgeAuthentication(seen))
        {
            yield return check;
        }

        yield return JudgeSending(seen);

        if (seen.RelayReply is not null)
        {
            yield return seen.RelayReply.IsPositive
                ? new ProbeCheck("Open relay", ProbeVerdict.Fail, $"accepted a foreign recipient without authentication: {seen.RelayReply}")
                : new ProbeCheck("Open relay", ProbeVerdict.Pass, $"refused a foreign recipient: {seen.RelayReply}");
        }

        if (seen.RecipientReply is not null)
        {
            yield return seen.RecipientReply.IsPositive
                ? new ProbeCheck("Recipient", ProbeVerdict.Pass, $"{seen.Options.To} would be accepted: {seen.RecipientReply}")
                : new ProbeCheck("Recipient", ProbeVerdict.Fail, $"{seen.Options.To} would be refused: {seen.RecipientReply}");
        }

        if (seen.FailedStage is { } stage && seen.Error is not null)
        {
            yield return new ProbeCheck("Dialogue", ProbeVerdict.Fail, $"the probe stopped at {stage.Describe()}: {seen.Error}");
        }
    }

    private static IEnumerable<ProbeCheck> JudgeTls(ProbeObservation seen)
    {
        if (!seen.ImplicitTls)
        {
            if (seen.StartTlsSkipped)
            {
                yield return new ProbeCheck("STARTTLS", seen.StartTlsOffered ? ProbeVerdict.Pass : ProbeVerdict.Warn, seen.StartTlsOffered ? "offered (not tested: -Security None)" : "not offered (not tested: -Security None)");
            }
            else if (!seen.StartTlsOffered)
            {
                yield return new ProbeCheck("STARTTLS", ProbeVerdict.Fail, $"no STARTTLS on port {seen.Options.Port}: mail and credentials to this server travel in clear");
                yield break;
            }
            else if (!seen.TlsEstablished)
            {
                yield return new ProbeCheck("STARTTLS", ProbeVerdict.Fail, $"offered, but TLS failed: {seen.Error}{TlsFailureCause(seen)}");
                foreach (var check in JudgeTlsOffers(seen))
                {
                    yield return check;
                }

                yield break;
            }
            else
            {
                yield return new ProbeCheck("STARTTLS", ProbeVerdict.Pass, $"{seen.TlsProtocol}, {seen.CipherSuite}");
            }

            if (seen.StartTlsInjection)
            {
                yield return new ProbeCheck("STARTTLS injection", ProbeVerdict.Fail, "the server sent data after its 220 reply to STARTTLS and before the handshake");
            }
        }

        if (!seen.TlsEstablished)
        {
            yield break;
        }

        yield return ObsoleteProtocols.Contains(seen.TlsProtocol)
            ? new ProbeCheck("TLS protocol", ProbeVerdict.Fail, $"{seen.TlsProtocol} is obsolete (RFC 8996): require TLS 1.2 or later")
            : new ProbeCheck("TLS protocol", ProbeVerdict.Pass, seen.TlsProtocol ?? "unknown");

        foreach (var check in JudgeTlsOffers(seen))
        {
            yield return check;
        }

        if (seen.Certificate is not { } certificate)
        {
            yield break;
        }

        // A problem the TLS policy lets pass (pinned, skipped, opportunistic) is a warning; one it refuses
        // for is a failure: a Fail here means sending with the same settings refuses, a Pass that it sends.
        var decision = certificate.Decision;
        var problem = decision.Accepted ? ProbeVerdict.Warn : ProbeVerdict.Fail;
        var acceptedAnyway = decision.Trust switch
        {
            CertificateTrust.Pinned => "; accepted: its thumbprint is pinned",
            CertificateTrust.Skipped => "; accepted: the certificate check is skipped",
            CertificateTrust.Unvalidated => "; used unvalidated: opportunistic TLS without credentials",
            _ => string.Empty,
        };
        var chainErrors = certificate.ChainErrors.Where(e => e != nameof(CertificateRevocationStatus.Revoked)).ToList();
        yield return chainErrors.Count == 0
            ? new ProbeCheck("Certificate chain", ProbeVerdict.Pass, $"trusted, issued by {certificate.Issuer}")
            : new ProbeCheck("Certificate chain", problem, $"not trusted: {string.Join(", ", chainErrors)} (issuer {certificate.Issuer}){acceptedAnyway}");

        var names = certificate.SubjectAlternativeNames.Count > 0 ? string.Join(", ", certificate.SubjectAlternativeNames) : certificate.Subject;
        yield return !certificate.NameMatches
            ? new ProbeCheck("Certificate name", problem, $"the certificate is for {names}, not {seen.Options.Host}{acceptedAnyway}")
            : certificate.SubjectAlternativeNames.Count == 0
                // The runtime still falls back to the CN; RFC 9525 (6.3) clients do not, and refuse the certificate.
                ? new ProbeCheck("Certificate name", ProbeVerdict.Warn, $"matches {seen.Options.Host} by its subject CN only: the certificate has no subjectAltName, and RFC 9525 (6.3) clients never match the CN")
                : new ProbeCheck("Certificate name", ProbeVerdict.Pass, $"matches {seen.Options.Host}");

        yield return certificate.DaysLeft < 0
            ? new ProbeCheck("Certificate expiry", problem, $"expired on {certificate.NotAfter:yyyy-MM-dd}{acceptedAnyway}")
            : certificate.DaysLeft < seen.Options.CertificateWarningDays
                ? new ProbeCheck("Certificate expiry", ProbeVerdict.Warn, $"certificate expires in {certificate.DaysLeft} days ({certificate.NotAfter:yyyy-MM-dd})")
                : new ProbeCheck("Certificate expiry", ProbeVerdict.Pass, $"valid until {certificate.NotAfter:yyyy-MM-dd} ({certificate.DaysLeft} days)");

        if (JudgeRevocation(seen, decision) is { } revocation)
        {
            yield return revocation;
        }

        // Only a word that looks like a host name: "220 ESMTP ready" names no host.
        if (seen.BannerHostName is { } bannerHost && (bannerHost.IndexOf('.') > 0 || bannerHost.Equals("localhost", StringComparison.OrdinalIgnoreCase)))
        {
            var matches = certificate.SubjectAlternativeNames.Any(n => HostMatches(n, bannerHost)) || certificate.Subject.IndexOf("CN=" + bannerHost, StringComparison.OrdinalIgnoreCase) >= 0;
            yield return matches
                ? new ProbeCheck("Banner host", ProbeVerdict.Pass, $"the banner's host {bannerHost} is named by the certificate")
                : new ProbeCheck("Banner host", ProbeVerdict.Warn, $"banner host {bannerHost} differs from the certificate name ({names})");
        }
    }

    // The extra handshakes (BouncyCastle's, see TlsOfferScan): which versions and which weak classes of suites are offered.
    private static IEnumerable<ProbeCheck> JudgeTlsOffers(ProbeObservation seen)
    {
        const string Library = "BouncyCastle handshakes";
        if (seen.TlsVersions.Count > 0)
        {
            var offered = Names(seen.TlsVersions, TlsOfferStatus.Offered);
            var deprecated = seen.TlsVersions.Where(v => v.Status == TlsOfferStatus.Offered && DeprecatedVersions.Contains(v.Name)).Select(v => v.Name).ToList();
            var unknown = seen.TlsVersions.Where(v => v.Status is TlsOfferStatus.Unknown or TlsOfferStatus.NotTested).Select(v => $"{v.Name} untested: {v.Detail}").ToList();
            var untested = unknown.Count == 0 ? string.Empty : $"; {string.Join("; ", unknown)}";
            yield return offered.Count == 0
                ? new ProbeCheck("TLS versions", ProbeVerdict.Warn, $"no version could be tested{untested} ({Library})")
                : deprecated.Count > 0
                    ? new ProbeCheck("TLS versions", ProbeVerdict.Warn, $"offered: {string.Join(", ", offered)}; {string.Join(" and ", deprecated)} deprecated by RFC 8996: disable them{untested} ({Library})")
                    : new ProbeCheck("TLS versions", ProbeVerdict.Pass, $"offered: {string.Join(", ", offered)}; not offered: {string.Join(", ", Names(seen.TlsVersions, TlsOfferStatus.NotOffered))}{untested} ({Library})");
        }

        if (seen.CipherClasses.Count > 0)
        {
            TlsOffer? Class(string name) => seen.CipherClasses.FirstOrDefault(c => c.Name == name);
            var failures = new List<string>();
            var warnings = new List<string>();
            var notes = new List<string>();
            foreach (var weak in new[] { ("Anonymous", "anonymous suites offered (no server authentication: anyone in the path can impersonate the server)"), ("NULL", "NULL suites offered (no encryption)"), ("Export", "export suites offered (40/56-bit keys)") })
            {
                switch (Class(weak.Item1))
                {
                    case { Status: TlsOfferStatus.Offered } offer:
                        failures.Add($"{weak.Item2}: {offer.CipherSuite}");
                        break;
                    case { Status: TlsOfferStatus.NotTested or TlsOfferStatus.Unknown } offer:
                        notes.Add($"{weak.Item1} not tested: {offer.Detail}");
                        break;
                }
            }

            foreach (var needed in new[] { ("Forward secrecy", "no forward secrecy: no ECDHE, DHE or TLS 1.3 suite accepted"), ("AEAD", "CBC only: no AEAD (GCM, CCM, ChaCha20-Poly1305) suite accepted") })
            {
                switch (Class(needed.Item1))
                {
                    case { Status: TlsOfferStatus.NotOffered }:
                        warnings.Add(needed.Item2);
                        break;
                    case { Status: TlsOfferStatus.NotTested or TlsOfferStatus.Unknown } offer:
                        notes.Add($"{needed.Item1} not tested: {offer.Detail}");
                        break;
                }
            }

            var note = notes.Count == 0 ? string.Empty : $"; {string.Join("; ", notes)}";
            yield return failures.Count > 0
                ? new ProbeCheck("Cipher suites", ProbeVerdict.Fail, $"{string.Join("; ", failures.Concat(warnings))}{note} ({Library})")
                : warnings.Count > 0
                    ? new ProbeCheck("Cipher suites", ProbeVerdict.Warn, $"{string.Join("; ", warnings)}{note} ({Library})")
                    : new ProbeCheck("Cipher suites", ProbeVerdict.Pass, $"no anonymous or NULL suites; forward secrecy and AEAD offered{note} ({Library})");
        }
    }

    // Why the system's handshake failed, from what the extra handshakes saw: e.g. a server that speaks only TLS 1.0.
    private static string TlsFailureCause(ProbeObservation seen)
    {
        var offered = seen.TlsVersions.Where(v => v.Status == TlsOfferStatus.Offered).ToList();
        if (offered.Count == 0)
        {
            return string.Empty;
        }

        if (offered.All(v => DeprecatedVersions.Contains(v.Name)))
        {
            return $"; cause: the server offers only {string.Join(" and ", offered.Select(v => v.Name))} (deprecated by RFC 8996), which this machine's TLS library refuses";
        }

        // .NET on Linux offers only forward-secret suites by default: a server with RSA key transport only has none in common.
        return seen.CipherClasses.Any(c => c.Name == "Forward secrecy" && c.Status == TlsOfferStatus.NotOffered)
            ? $"; cause: the server offers no forward-secret suite (it chose {offered[0].CipherSuite}), and this machine's TLS library offers only forward-secret ones"
            : $"; the server completes a handshake with BouncyCastle ({offered[0].Detail}): this machine's TLS library refuses what it offers";
    }

    private static List<string> Names(IEnumerable<TlsOffer> offers, TlsOfferStatus status) => offers.Where(o => o.Status == status).Select(o => o.Name).ToList();

    private static ProbeCheck? JudgeRevocation(ProbeObservation seen, ServerCertificateDecision decision) => decision.Revocation switch
    {
        CertificateRevocationStatus.Good => new ProbeCheck("Certificate revocation", ProbeVerdict.Pass, "not revoked (checked with its issuer's CRL or OCSP responder)"),
        CertificateRevocationStatus.Revoked => new ProbeCheck("Certificate revocation", decision.Accepted ? ProbeVerdict.Warn : ProbeVerdict.Fail, $"revoked by its issuer ({decision.Issuer})"),
        CertificateRevocationStatus.Unknown when seen.Options.Tls.RevocationMode == CertificateRevocationMode.Strict
            => new ProbeCheck("Certificate revocation", decision.Accepted ? ProbeVerdict.Warn : ProbeVerdict.Fail, $"status unknown: {decision.RevocationDetail}; refused by revocation mode Strict"),
        CertificateRevocationStatus.Unknown
            => new ProbeCheck("Certificate revocation", ProbeVerdict.Warn, $"status unknown: {decision.RevocationDetail}; accepted by revocation mode SoftFail, Strict would refuse it"),
        _ when seen.Options.Tls.RevocationMode == CertificateRevocationMode.NoCheck && decision.Trust == CertificateTrust.Trusted
            => new ProbeCheck("Certificate revocation", ProbeVerdict.Warn, "not checked (revocation mode NoCheck)"),
        _ => null,
    };

    // What sending with the same settings would do, by the same policy: the probe's promise that
    // a Pass here means a send succeeds as far as TLS goes and a Fail that it is refused.
    private static ProbeCheck JudgeSending(ProbeObservation seen)
    {
        const string Name = "TLS policy";
        var security = seen.Options.Tls.ResolveSecurity(seen.Options.Port);
        if (seen.TlsEstablished && seen.Certificate is { } certificate)
        {
            var decision = certificate.Decision;
            return decision.Trust switch
            {
                CertificateTrust.Refused => new ProbeCheck(Name, ProbeVerdict.Fail, $"would refuse: {decision.Reason}. {decision.Advice}"),
                CertificateTrust.Unvalidated => new ProbeCheck(Name, ProbeVerdict.Warn, $"would send encrypted but unvalidated: {decision.Reason}"),
                CertificateTrust.Skipped => new ProbeCheck(Name, ProbeVerdict.Warn, "would send without validating the certificate (the check is skipped)"),
                _ => new ProbeCheck(Name, ProbeVerdict.Pass, $"would send: {decision.Reason}"),
            };
        }

        if (seen.ImplicitTls || (seen.StartTlsOffered && !seen.StartTlsSkipped))
        {
            return new ProbeCheck(Name, ProbeVerdict.Fail, $"would refuse: TLS could not be established ({seen.Error})");
        }

        if (security is SmtpSecurity.StartTls or SmtpSecurity.SslOnConnect)
        {
            return new ProbeCheck(Name, ProbeVerdict.Fail, $"would refuse: Security {security} requires TLS and none was established");
        }

        if (seen.Options.Credential is not null && seen.Options.Tls.RefuseCredentials(secure: false, $"{seen.Options.Host}:{seen.Options.Port}") is { } refusal)
        {
            return new ProbeCheck(Name, ProbeVerdict.Fail, $"would refuse: {refusal}");
        }

        return new ProbeCheck(Name, ProbeVerdict.Warn, "would send in clear: no TLS");
    }

    private static IEnumerable<ProbeCheck> JudgeAuthentication(ProbeObservation seen)
    {
        var beforeTls = seen.ImplicitTls ? Array.Empty<string>() : ProbeObservation.AuthMechanismsOf(seen.ExtensionsBeforeTls);
        if (beforeTls.Count > 0)
        {
            yield return new ProbeCheck("AUTH before TLS", ProbeVerdict.Fail, $"AUTH {string.Join(" ", beforeTls)} offered before TLS: a client may send its password in clear");
        }
        else if (ProbeObservation.AuthMechanismsOf(seen.FinalExtensions).Count > 0)
        {
            yield return new ProbeCheck("AUTH before TLS", ProbeVerdict.Pass, "AUTH is offered only over TLS");
        }

        if (seen.Options.Credential is null)
        {
            yield break;
        }

        if (seen.AuthNotAttempted is not null)
        {
            yield return new ProbeCheck("AUTH", ProbeVerdict.Fail, $"not attempted: {seen.AuthNotAttempted}");
        }
        else if (seen.AuthReply is not null)
        {
            yield return seen.AuthReply.Code == 235
                ? new ProbeCheck("AUTH", ProbeVerdict.Pass, $"authenticated as {seen.Options.Credential.UserName} with {seen.AuthMechanism}")
                : new ProbeCheck("AUTH", ProbeVerdict.Fail, $"{seen.AuthMechanism} refused: {seen.AuthReply}");
        }
    }

    private static bool HostMatches(string pattern, string host)
        => pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.IndexOf('.') is var dot and > 0 && string.Equals(pattern.Substring(1), host.Substring(dot), StringComparison.OrdinalIgnoreCase)
            : string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);
}
