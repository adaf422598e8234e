using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Smtp;

namespace SmtpOps.Probing;

/// <summary>What a probe has seen so far; <see cref="ToResult"/> judges it into checks.</summary>
internal sealed class ProbeObservation
{
    private static readonly string[] ObsoleteProtocols = { "Ssl2", "Ssl3", "Tls", "Tls11" };

    public ProbeObservation(SmtpProbeOptions options) => Options = options;

    public SmtpProbeOptions Options { get; }

    public string? Address { get; set; }

    public bool Connected { get; set; }

    public SmtpReply? Banner { get; set; }

    public SmtpReply? Ehlo { get; set; }

    public IReadOnlyList<string> ExtensionsBeforeTls { get; set; } = Array.Empty<string>();

    public IReadOnlyList<string> ExtensionsAfterTls { get; set; } = Array.Empty<string>();

    public bool ImplicitTls { get; set; }

    public bool StartTlsOffered { get; set; }

    public bool StartTlsSkipped { get; set; }

    public bool TlsEstablished { get; set; }

    public bool StartTlsInjection { get; set; }

    public string? TlsProtocol { get; set; }

    public string? CipherSuite { get; set; }

    public ProbeCertificate? Certificate { get; set; }

    public SmtpReply? AuthReply { get; set; }

    public string? AuthMechanism { get; set; }

    public string? AuthNotAttempted { get; set; }

    public SmtpReply? RecipientReply { get; set; }

    public SmtpReply? RelayReply { get; set; }

    public string? FailedStage { get; set; }

    public ProbeFailure Failure { get; set; }

    public string? Error { get; set; }

    public TimeSpan? Connect { get; set; }

    public TimeSpan? BannerTime { get; set; }

    public TimeSpan? EhloTime { get; set; }

    public TimeSpan? TlsTime { get; set; }

    public TimeSpan? AuthTime { get; set; }

    public TimeSpan? RecipientTime { get; set; }

    public IReadOnlyList<string> FinalExtensions => TlsEstablished && !ImplicitTls ? ExtensionsAfterTls : ExtensionsBeforeTls;

    public static IReadOnlyList<string> AuthMechanismsOf(IReadOnlyList<string> extensions)
        => extensions
            .Where(e => e.StartsWith("AUTH ", StringComparison.OrdinalIgnoreCase) || e.StartsWith("AUTH=", StringComparison.OrdinalIgnoreCase))
            .SelectMany(e => e.Substring(5).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
            .Select(m => m.ToUpperInvariant())
            .Distinct()
            .ToList();

    public SmtpProbeResult ToResult(TimeSpan total) => new()
    {
        ComputerName = Options.Host,
        IPAddress = Address,
        Port = Options.Port,
        Connected = Connected,
        Banner = Banner,
        BannerHostName = BannerHostName(),
        ExtensionsBeforeTls = ImplicitTls ? Array.Empty<string>() : ExtensionsBeforeTls,
        ExtensionsAfterTls = ImplicitTls ? ExtensionsBeforeTls : ExtensionsAfterTls,
        TlsMode = !TlsEstablished ? "None" : ImplicitTls ? "Implicit" : "StartTls",
        TlsProtocol = TlsProtocol,
        CipherSuite = CipherSuite,
        Certificate = Certificate,
        AuthMechanismsBeforeTls = ImplicitTls ? Array.Empty<string>() : AuthMechanismsOf(ExtensionsBeforeTls),
        AuthMechanisms = AuthMechanismsOf(FinalExtensions),
        AuthReply = AuthReply,
        RecipientReply = RecipientReply,
        OpenRelay = RelayReply is null ? null : RelayReply.IsPositive,
        Timings = new ProbeTimings
        {
            Connect = Connect,
            Banner = BannerTime,
            Ehlo = EhloTime,
            TlsHandshake = TlsTime,
            Auth = AuthTime,
            Recipient = RecipientTime,
            Total = total,
        },
        Checks = Judge().ToList(),
        Failure = Failure != ProbeFailure.None ? Failure
            : Banner is { Code: not 220 } || Ehlo is { IsPositive: false } ? ProbeFailure.ServiceRefused
            : ProbeFailure.None,
        Error = Error ?? (Banner is { Code: not 220 } ? $"the server refuses service: {Banner}" : Ehlo is { IsPositive: false } ? $"EHLO refused: {Ehlo}" : null),
    };

    private string? BannerHostName()
    {
        var first = Banner?.Lines.FirstOrDefault();
        var word = first?.Split(' ').FirstOrDefault();
        return string.IsNullOrEmpty(word) ? null : word;
    }

    private IEnumerable<ProbeCheck> Judge()
    {
        if (!Connected)
        {
            yield return new ProbeCheck("Connect", ProbeVerdict.Fail, $"cannot connect to {Address ?? Options.Host}:{Options.Port}: {Error}");
            yield break;
        }

        yield return new ProbeCheck("Connect", ProbeVerdict.Pass, $"connected to {Address}:{Options.Port} in {Connect?.TotalMilliseconds:0} ms");

        if (ImplicitTls)
        {
            yield return TlsEstablished
                ? new ProbeCheck("Implicit TLS", ProbeVerdict.Pass, $"{TlsProtocol}, {CipherSuite}")
                : new ProbeCheck("Implicit TLS", ProbeVerdict.Fail, $"TLS handshake failed: {Error}");
            if (!TlsEstablished)
            {
                yield break;
            }
        }

        if (Banner is null)
        {
            yield return new ProbeCheck("Banner", ProbeVerdict.Fail, FailedStage == "banner" ? $"no greeting: {Error}" : "no greeting");
            yield break;
        }

        yield return Banner.Code == 220
            ? new ProbeCheck("Banner", ProbeVerdict.Pass, Banner.ToString())
            : new ProbeCheck("Banner", ProbeVerdict.Fail, $"the server refuses service: {Banner}");
        if (Banner.Code != 220)
        {
            yield break;
        }

        if (Ehlo is null || !Ehlo.IsPositive)
        {
            yield return new ProbeCheck("EHLO", ProbeVerdict.Fail, Ehlo is null ? $"no answer to EHLO: {Error}" : $"EHLO refused: {Ehlo}");
            yield break;
        }

        yield return new ProbeCheck("EHLO", ProbeVerdict.Pass, $"{ExtensionsBeforeTls.Count} extensions: {string.Join(", ", ExtensionsBeforeTls.Select(e => e.Split(' ')[0]))}");

        foreach (var check in JudgeTls())
        {
            yield return check;
        }

        foreach (var check in JudgeAuthentication())
        {
            yield return check;
        }

        yield return JudgeSending();

        if (RelayReply is not null)
        {
            yield return RelayReply.IsPositive
                ? new ProbeCheck("Open relay", ProbeVerdict.Fail, $"accepted a foreign recipient without authentication: {RelayReply}")
                : new ProbeCheck("Open relay", ProbeVerdict.Pass, $"refused a foreign recipient: {RelayReply}");
        }

        if (RecipientReply is not null)
        {
            yield return RecipientReply.IsPositive
                ? new ProbeCheck("Recipient", ProbeVerdict.Pass, $"{Options.To} would be accepted: {RecipientReply}")
                : new ProbeCheck("Recipient", ProbeVerdict.Fail, $"{Options.To} would be refused: {RecipientReply}");
        }

        if (FailedStage is not null && Error is not null)
        {
            yield return new ProbeCheck("Dialogue", ProbeVerdict.Fail, $"the probe stopped at {FailedStage}: {Error}");
        }
    }

    private IEnumerable<ProbeCheck> JudgeTls()
    {
        if (!ImplicitTls)
        {
            if (StartTlsSkipped)
            {
                yield return new ProbeCheck("STARTTLS", StartTlsOffered ? ProbeVerdict.Pass : ProbeVerdict.Warn, StartTlsOffered ? "offered (not tested: -Security None)" : "not offered (not tested: -Security None)");
            }
            else if (!StartTlsOffered)
            {
                yield return new ProbeCheck("STARTTLS", ProbeVerdict.Fail, $"no STARTTLS on port {Options.Port}: mail and credentials to this server travel in clear");
                yield break;
            }
            else if (!TlsEstablished)
            {
                yield return new ProbeCheck("STARTTLS", ProbeVerdict.Fail, $"offered, but TLS failed: {Error}");
                yield break;
            }
            else
            {
                yield return new ProbeCheck("STARTTLS", ProbeVerdict.Pass, $"{TlsProtocol}, {CipherSuite}");
            }

            if (StartTlsInjection)
            {
                yield return new ProbeCheck("STARTTLS injection", ProbeVerdict.Fail, "the server sent data after its 220 reply to STARTTLS and before the handshake");
            }
        }

        if (!TlsEstablished)
        {
            yield break;
        }

        yield return ObsoleteProtocols.Contains(TlsProtocol)
            ? new ProbeCheck("TLS protocol", ProbeVerdict.Fail, $"{TlsProtocol} is obsolete (RFC 8996): require TLS 1.2 or later")
            : new ProbeCheck("TLS protocol", ProbeVerdict.Pass, TlsProtocol ?? "unknown");

        if (Certificate is not { } certificate)
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
        yield return certificate.NameMatches
            ? new ProbeCheck("Certificate name", ProbeVerdict.Pass, $"matches {Options.Host}")
            : new ProbeCheck("Certificate name", problem, $"the certificate is for {names}, not {Options.Host}{acceptedAnyway}");

        yield return certificate.DaysLeft < 0
            ? new ProbeCheck("Certificate expiry", problem, $"expired on {certificate.NotAfter:yyyy-MM-dd}{acceptedAnyway}")
            : certificate.DaysLeft < Options.CertificateWarningDays
                ? new ProbeCheck("Certificate expiry", ProbeVerdict.Warn, $"certificate expires in {certificate.DaysLeft} days ({certificate.NotAfter:yyyy-MM-dd})")
                : new ProbeCheck("Certificate expiry", ProbeVerdict.Pass, $"valid until {certificate.NotAfter:yyyy-MM-dd} ({certificate.DaysLeft} days)");

        if (JudgeRevocation(decision) is { } revocation)
        {
            yield return revocation;
        }

        // Only a word that looks like a host name: "220 ESMTP ready" names no host.
        if (BannerHostName() is { } bannerHost && (bannerHost.IndexOf('.') > 0 || bannerHost.Equals("localhost", StringComparison.OrdinalIgnoreCase)))
        {
            var matches = certificate.SubjectAlternativeNames.Any(n => HostMatches(n, bannerHost)) || certificate.Subject.IndexOf("CN=" + bannerHost, StringComparison.OrdinalIgnoreCase) >= 0;
            yield return matches
                ? new ProbeCheck("Banner host", ProbeVerdict.Pass, $"the banner's host {bannerHost} is named by the certificate")
                : new ProbeCheck("Banner host", ProbeVerdict.Warn, $"banner host {bannerHost} differs from the certificate name ({names})");
        }
    }

    private ProbeCheck? JudgeRevocation(ServerCertificateDecision decision) => decision.Revocation switch
    {
        CertificateRevocationStatus.Good => new ProbeCheck("Certificate revocation", ProbeVerdict.Pass, "not revoked (checked with its issuer's CRL or OCSP responder)"),
        CertificateRevocationStatus.Revoked => new ProbeCheck("Certificate revocation", decision.Accepted ? ProbeVerdict.Warn : ProbeVerdict.Fail, $"revoked by its issuer ({decision.Issuer})"),
        CertificateRevocationStatus.Unknown when Options.Tls.RevocationMode == CertificateRevocationMode.Strict
            => new ProbeCheck("Certificate revocation", decision.Accepted ? ProbeVerdict.Warn : ProbeVerdict.Fail, $"status unknown: {decision.RevocationDetail}; refused by revocation mode Strict"),
        CertificateRevocationStatus.Unknown
            => new ProbeCheck("Certificate revocation", ProbeVerdict.Warn, $"status unknown: {decision.RevocationDetail}; accepted by revocation mode SoftFail, Strict would refuse it"),
        _ when Options.Tls.RevocationMode == CertificateRevocationMode.NoCheck && decision.Trust == CertificateTrust.Trusted
            => new ProbeCheck("Certificate revocation", ProbeVerdict.Warn, "not checked (revocation mode NoCheck)"),
        _ => null,
    };

    // What sending with the same settings would do, by the same policy: the probe's promise that
    // a Pass here means a send succeeds as far as TLS goes and a Fail that it is refused.
    private ProbeCheck JudgeSending()
    {
        const string Name = "TLS policy";
        var security = Options.Tls.ResolveSecurity(Options.Port);
        if (TlsEstablished && Certificate is { } certificate)
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

        if (ImplicitTls || (StartTlsOffered && !StartTlsSkipped))
        {
            return new ProbeCheck(Name, ProbeVerdict.Fail, $"would refuse: TLS could not be established ({Error})");
        }

        if (security is SmtpSecurity.StartTls or SmtpSecurity.SslOnConnect)
        {
            return new ProbeCheck(Name, ProbeVerdict.Fail, $"would refuse: Security {security} requires TLS and none was established");
        }

        if (Options.Credential is not null && Options.Tls.RefuseCredentials(secure: false, $"{Options.Host}:{Options.Port}") is { } refusal)
        {
            return new ProbeCheck(Name, ProbeVerdict.Fail, $"would refuse: {refusal}");
        }

        return new ProbeCheck(Name, ProbeVerdict.Warn, "would send in clear: no TLS");
    }

    private IEnumerable<ProbeCheck> JudgeAuthentication()
    {
        var beforeTls = ImplicitTls ? Array.Empty<string>() : AuthMechanismsOf(ExtensionsBeforeTls);
        if (beforeTls.Count > 0)
        {
            yield return new ProbeCheck("AUTH before TLS", ProbeVerdict.Fail, $"AUTH {string.Join(" ", beforeTls)} offered before TLS: a client may send its password in clear");
        }
        else if (AuthMechanismsOf(FinalExtensions).Count > 0)
        {
            yield return new ProbeCheck("AUTH before TLS", ProbeVerdict.Pass, "AUTH is offered only over TLS");
        }

        if (Options.Credential is null)
        {
            yield break;
        }

        if (AuthNotAttempted is not null)
        {
            yield return new ProbeCheck("AUTH", ProbeVerdict.Fail, $"not attempted: {AuthNotAttempted}");
        }
        else if (AuthReply is not null)
        {
            yield return AuthReply.Code == 235
                ? new ProbeCheck("AUTH", ProbeVerdict.Pass, $"authenticated as {Options.Credential.UserName} with {AuthMechanism}")
                : new ProbeCheck("AUTH", ProbeVerdict.Fail, $"{AuthMechanism} refused: {AuthReply}");
        }
    }

    private static bool HostMatches(string pattern, string host)
        => pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.IndexOf('.') is var dot and > 0 && string.Equals(pattern.Substring(1), host.Substring(dot), StringComparison.OrdinalIgnoreCase)
            : string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);
}
