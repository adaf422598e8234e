using System;
using System.Linq;
using SmtpOps.Probing;
using SmtpOps.Smtp;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// The probe's rules without a server: observations are built here as a probe would record them,
/// and <see cref="ProbeJudge"/> must turn them into the checks Test-SmtpServer shows.
/// </summary>
public sealed class ProbeJudgeTests
{
    private static readonly DateTimeOffset NotAfter = new(2027, 6, 30, 0, 0, 0, TimeSpan.Zero);

    private static SmtpProbeOptions Options(int port = 587) => new() { Host = "mail.contoso.test", Port = port, CertificateWarningDays = 30 };

    // A dialogue that got as far as EHLO over plain TCP on a server that offers STARTTLS.
    private static ProbeObservation Greeted(SmtpProbeOptions options, params string[] extensions)
    {
        var seen = new ProbeObservation(options)
        {
            Address = "192.0.2.25",
            Connected = true,
            Connect = TimeSpan.FromMilliseconds(12),
            Banner = new SmtpReply(220, new[] { "mail.contoso.test ESMTP ready" }),
            Ehlo = new SmtpReply(250, new[] { "mail.contoso.test" }.Concat(extensions).ToList()),
        };
        seen.ExtensionsBeforeTls = extensions;
        seen.StartTlsOffered = extensions.Contains("STARTTLS");
        return seen;
    }

    private static ProbeObservation OverTls(SmtpProbeOptions options, ServerCertificateDecision decision, int daysLeft = 300, string protocol = "Tls13", params string[] extensionsAfterTls)
    {
        var seen = Greeted(options, "PIPELINING", "STARTTLS");
        seen.TlsEstablished = true;
        seen.TlsProtocol = protocol;
        seen.CipherSuite = "TLS_AES_256_GCM_SHA384";
        seen.ExtensionsAfterTls = extensionsAfterTls.Length > 0 ? extensionsAfterTls : new[] { "PIPELINING", "AUTH PLAIN LOGIN" };
        seen.Certificate = new ProbeCertificate
        {
            Subject = "CN=mail.contoso.test",
            SubjectAlternativeNames = new[] { "mail.contoso.test" },
            Issuer = "CN=Contoso CA",
            NotAfter = NotAfter,
            DaysLeft = daysLeft,
            ChainValid = decision.Problems.Count == 0,
            NameMatches = !decision.Problems.Contains("NameMismatch"),
            ChainErrors = decision.Problems.Where(p => p != "NameMismatch").ToList(),
            Decision = decision,
        };
        return seen;
    }

    private static ServerCertificateDecision Trusted(CertificateRevocationStatus revocation = CertificateRevocationStatus.Good, string? detail = null) => new()
    {
        Trust = CertificateTrust.Trusted,
        Revocation = revocation,
        RevocationDetail = detail,
        Issuer = "CN=Contoso CA",
        Reason = "trusted, issued by CN=Contoso CA",
    };

    private static ProbeCheck Check(ProbeObservation seen, string name)
        => ProbeJudge.Checks(seen).SingleOrDefault(c => c.Name == name) ?? throw new Xunit.Sdk.XunitException($"No '{name}' check in: {string.Join(" | ", ProbeJudge.Checks(seen))}");

    [Fact]
    public void AServerThatCannotBeReachedGetsOneFailedConnectCheck()
    {
        var seen = new ProbeObservation(Options()) { FailedStage = ProbeStage.Connect, Failure = ProbeFailure.Unreachable, Error = "Connection refused" };

        var result = ProbeJudge.Judge(seen, TimeSpan.FromSeconds(1));

        var check = Assert.Single(result.Checks);
        Assert.Equal("Fail Connect: cannot connect to mail.contoso.test:587: Connection refused", check.ToString());
        Assert.Equal(ProbeFailure.Unreachable, result.Failure);
        Assert.Equal("None", result.TlsMode);
    }

    [Fact]
    public void ARefusingBannerEndsTheChecksAndIsAServiceRefusal()
    {
        var seen = new ProbeObservation(Options()) { Address = "192.0.2.25", Connected = true, Banner = new SmtpReply(554, new[] { "5.3.2 no service" }) };

        var result = ProbeJudge.Judge(seen, TimeSpan.FromSeconds(1));

        Assert.Equal(new[] { "Connect", "Banner" }, result.Checks.Select(c => c.Name));
        Assert.Equal("Fail Banner: the server refuses service: 554 5.3.2 no service", result.Checks[1].ToString());
        Assert.Equal(ProbeFailure.ServiceRefused, result.Failure);
        Assert.Equal("the server refuses service: 554 5.3.2 no service", result.Error);
    }

    [Fact]
    public void ASilentGreetingSaysWhatHappenedAtTheBannerStage()
    {
        var seen = new ProbeObservation(Options()) { Address = "192.0.2.25", Connected = true, FailedStage = ProbeStage.Banner, Failure = ProbeFailure.Timeout, Error = "no answer within 5 s" };

        Assert.Equal("Fail Banner: no greeting: no answer within 5 s", Check(seen, "Banner").ToString());
    }

    [Fact]
    public void AStopAfterTheGreetingIsReportedWithTheStageByName()
    {
        var seen = OverTls(Options(), Trusted());
        seen.ExtensionsAfterTls = Array.Empty<string>();
        seen.FailedStage = ProbeStage.EhloAfterTls;
        seen.Failure = ProbeFailure.ProtocolViolation;
        seen.Error = "the connection was closed";

        Assert.Equal("Fail Dialogue: the probe stopped at EHLO after TLS: the connection was closed", Check(seen, "Dialogue").ToString());
    }

    [Theory]
    [InlineData(nameof(ProbeStage.Connect), "connect")]
    [InlineData(nameof(ProbeStage.Tls), "TLS")]
    [InlineData(nameof(ProbeStage.Banner), "banner")]
    [InlineData(nameof(ProbeStage.Ehlo), "EHLO")]
    [InlineData(nameof(ProbeStage.StartTls), "STARTTLS")]
    [InlineData(nameof(ProbeStage.EhloAfterTls), "EHLO after TLS")]
    [InlineData(nameof(ProbeStage.OpenRelayTest), "open relay test")]
    [InlineData(nameof(ProbeStage.Auth), "AUTH")]
    [InlineData(nameof(ProbeStage.RecipientTest), "recipient test")]
    [InlineData(nameof(ProbeStage.Quit), "QUIT")]
    public void EveryStageKeepsTheNameUsersRead(string stage, string text) => Assert.Equal(text, Enum.Parse<ProbeStage>(stage).Describe());

    [Fact]
    public void EveryStageHasAName() => Assert.All(Enum.GetValues<ProbeStage>(), stage => Assert.False(string.IsNullOrEmpty(stage.Describe())));

    [Fact]
    public void NoStartTlsFailsAndWithoutCredentialsWouldSendInClear()
    {
        var seen = Greeted(Options(25), "PIPELINING", "8BITMIME");

        var checks = ProbeJudge.Checks(seen);

        Assert.Equal(new[] { "Connect", "Banner", "EHLO", "STARTTLS", "TLS policy" }, checks.Select(c => c.Name));
        Assert.Equal("Fail STARTTLS: no STARTTLS on port 25: mail and credentials to this server travel in clear", checks[3].ToString());
        Assert.Equal("Warn TLS policy: would send in clear: no TLS", checks[4].ToString());
        Assert.Equal("Pass EHLO: 2 extensions: PIPELINING, 8BITMIME", checks[2].ToString());
    }

    [Fact]
    public void WithCredentialsAndNoTlsTheTlsPolicyWouldRefuseAndAuthIsNotAttempted()
    {
        var seen = Greeted(Options(25) with { Credential = SmtpCredential.FromPassword("alice", "secret") }, "AUTH PLAIN LOGIN");
        seen.AuthNotAttempted = "no TLS: credentials are never sent in clear";

        Assert.Equal("Fail AUTH before TLS: AUTH PLAIN LOGIN offered before TLS: a client may send its password in clear", Check(seen, "AUTH before TLS").ToString());
        Assert.Equal("Fail AUTH: not attempted: no TLS: credentials are never sent in clear", Check(seen, "AUTH").ToString());
        Assert.StartsWith("would refuse: Refusing to send credentials to mail.contoso.test:25 over a connection without TLS.", Check(seen, "TLS policy").Reason);
    }

    [Fact]
    public void SecurityStartTlsWithoutTlsWouldRefuse()
    {
        var seen = Greeted(Options(25) with { Tls = new SmtpTlsPolicy { Security = SmtpSecurity.StartTls } }, "PIPELINING");

        Assert.Equal("Fail TLS policy: would refuse: Security StartTls requires TLS and none was established", Check(seen, "TLS policy").ToString());
    }

    [Fact]
    public void ATrustedCertificateOverModernTlsPassesAndAuthIsOfferedOnlyOverTls()
    {
        var seen = OverTls(Options(), Trusted());

        var checks = ProbeJudge.Checks(seen);

        Assert.Equal(new[] { "Connect", "Banner", "EHLO", "STARTTLS", "TLS protocol", "Certificate chain", "Certificate name", "Certificate expiry", "Certificate revocation", "Banner host", "AUTH before TLS", "TLS policy" }, checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.Equal(ProbeVerdict.Pass, c.Verdict));
        Assert.Equal("Pass TLS policy: would send: trusted, issued by CN=Contoso CA", Check(seen, "TLS policy").ToString());
        Assert.Equal("Pass AUTH before TLS: AUTH is offered only over TLS", Check(seen, "AUTH before TLS").ToString());
        Assert.Equal("valid until 2027-06-30 (300 days)", Check(seen, "Certificate expiry").Reason);
    }

    [Theory]
    [InlineData("Tls11", ProbeVerdict.Fail)]
    [InlineData("Tls", ProbeVerdict.Fail)]
    [InlineData("Tls12", ProbeVerdict.Pass)]
    [InlineData("Tls13", ProbeVerdict.Pass)]
    public void ObsoleteTlsProtocolsFail(string protocol, ProbeVerdict verdict)
        => Assert.Equal(verdict, Check(OverTls(Options(), Trusted(), protocol: protocol), "TLS protocol").Verdict);

    [Fact]
    public void DataBeforeTheHandshakeIsAnInjection()
    {
        var seen = OverTls(Options(), Trusted());
        seen.StartTlsInjection = true;

        Assert.Equal(ProbeVerdict.Fail, Check(seen, "STARTTLS injection").Verdict);
    }

    [Theory]
    [InlineData(-1, ProbeVerdict.Fail, "expired on 2027-06-30")]
    [InlineData(9, ProbeVerdict.Warn, "certificate expires in 9 days (2027-06-30)")]
    [InlineData(30, ProbeVerdict.Pass, "valid until 2027-06-30 (30 days)")]
    public void ExpiryIsJudgedByTheDaysLeft(int daysLeft, ProbeVerdict verdict, string reason)
    {
        // An expired certificate is refused by the policy (authenticated send); the others are trusted.
        var decision = daysLeft < 0 ? Trusted() with { Trust = CertificateTrust.Refused, Problems = new[] { "NotTimeValid" } } : Trusted();

        var check = Check(OverTls(Options(), decision, daysLeft), "Certificate expiry");

        Assert.Equal(verdict, check.Verdict);
        Assert.Equal(reason, check.Reason);
    }

    [Fact]
    public void ACertificateThePolicyRefusesFailsItsChecksAndTheTlsPolicy()
    {
        var decision = new ServerCertificateDecision
        {
            Trust = CertificateTrust.Refused,
            Revocation = CertificateRevocationStatus.NotChecked,
            Problems = new[] { "UntrustedRoot", "NameMismatch" },
            Issuer = "CN=Contoso CA",
            Reason = "the certificate's issuer is not trusted",
            Advice = "Trust the issuing CA with -TrustedRootCertificate.",
        };
        var seen = OverTls(Options() with { Host = "smtp.contoso.test" }, decision);

        Assert.Equal("Fail Certificate chain: not trusted: UntrustedRoot (issuer CN=Contoso CA)", Check(seen, "Certificate chain").ToString());
        Assert.Equal("Fail Certificate name: the certificate is for mail.contoso.test, not smtp.contoso.test", Check(seen, "Certificate name").ToString());
        Assert.Equal("Fail TLS policy: would refuse: the certificate's issuer is not trusted. Trust the issuing CA with -TrustedRootCertificate.", Check(seen, "TLS policy").ToString());
        Assert.DoesNotContain(ProbeJudge.Checks(seen), c => c.Name == "Certificate revocation");
    }

    [Fact]
    public void AnUnvalidatedCertificateUnderOpportunisticTlsWarnsInsteadOfFailing()
    {
        var decision = new ServerCertificateDecision
        {
            Trust = CertificateTrust.Unvalidated,
            Revocation = CertificateRevocationStatus.NotChecked,
            Problems = new[] { "UntrustedRoot" },
            Issuer = "CN=mail.contoso.test",
            Reason = "self-signed",
        };

        var seen = OverTls(Options(25), decision);

        Assert.Equal("Warn Certificate chain: not trusted: UntrustedRoot (issuer CN=Contoso CA); used unvalidated: opportunistic TLS without credentials", Check(seen, "Certificate chain").ToString());
        Assert.Equal("Warn TLS policy: would send encrypted but unvalidated: self-signed", Check(seen, "TLS policy").ToString());
    }

    [Theory]
    [InlineData(CertificateRevocationMode.SoftFail, CertificateTrust.Trusted, ProbeVerdict.Warn, "status unknown: no CRL; accepted by revocation mode SoftFail, Strict would refuse it")]
    [InlineData(CertificateRevocationMode.Strict, CertificateTrust.Refused, ProbeVerdict.Fail, "status unknown: no CRL; refused by revocation mode Strict")]
    [InlineData(CertificateRevocationMode.Strict, CertificateTrust.Pinned, ProbeVerdict.Warn, "status unknown: no CRL; refused by revocation mode Strict")]
    public void AnUnknownRevocationStatusFollowsTheRevocationMode(CertificateRevocationMode mode, CertificateTrust trust, ProbeVerdict verdict, string reason)
    {
        var options = Options() with { Tls = new SmtpTlsPolicy { RevocationMode = mode } };
        var seen = OverTls(options, Trusted(CertificateRevocationStatus.Unknown, "no CRL") with { Trust = trust });

        var check = Check(seen, "Certificate revocation");

        Assert.Equal(verdict, check.Verdict);
        Assert.Equal(reason, check.Reason);
    }

    [Fact]
    public void ARevokedCertificateFailsAndNoCheckWarnsThatNothingWasChecked()
    {
        var revoked = OverTls(Options(), Trusted(CertificateRevocationStatus.Revoked) with { Trust = CertificateTrust.Refused });
        var notChecked = OverTls(Options() with { Tls = new SmtpTlsPolicy { RevocationMode = CertificateRevocationMode.NoCheck } }, Trusted(CertificateRevocationStatus.NotChecked));

        Assert.Equal("Fail Certificate revocation: revoked by its issuer (CN=Contoso CA)", Check(revoked, "Certificate revocation").ToString());
        Assert.Equal("Warn Certificate revocation: not checked (revocation mode NoCheck)", Check(notChecked, "Certificate revocation").ToString());
    }

    [Fact]
    public void ABannerThatNamesAnotherHostThanTheCertificateWarns()
    {
        var seen = OverTls(Options(), Trusted());
        seen.Banner = new SmtpReply(220, new[] { "relay7.hosting.test ESMTP" });
        var unnamed = OverTls(Options(), Trusted());
        unnamed.Banner = new SmtpReply(220, new[] { "ESMTP ready" });

        Assert.Equal("Warn Banner host: banner host relay7.hosting.test differs from the certificate name (mail.contoso.test)", Check(seen, "Banner host").ToString());
        Assert.DoesNotContain(ProbeJudge.Checks(unnamed), c => c.Name == "Banner host");
    }

    [Fact]
    public void AuthRecipientAndOpenRelayRepliesAreJudgedByTheirCodes()
    {
        var seen = OverTls(Options() with { Credential = SmtpCredential.FromPassword("alice", "secret"), To = "ops@contoso.test", TestOpenRelay = true }, Trusted());
        seen.AuthMechanism = "PLAIN";
        seen.AuthReply = new SmtpReply(535, new[] { "5.7.8 authentication failed" });
        seen.RecipientReply = new SmtpReply(250, new[] { "2.1.5 ok" });
        seen.RelayReply = new SmtpReply(250, new[] { "2.1.5 ok" });

        var result = ProbeJudge.Judge(seen, TimeSpan.FromSeconds(2));

        Assert.Equal("Fail AUTH: PLAIN refused: 535 5.7.8 authentication failed", result.Checks.Single(c => c.Name == "AUTH").ToString());
        Assert.Equal("Pass Recipient: ops@contoso.test would be accepted: 250 2.1.5 ok", result.Checks.Single(c => c.Name == "Recipient").ToString());
        Assert.Equal("Fail Open relay: accepted a foreign recipient without authentication: 250 2.1.5 ok", result.Checks.Single(c => c.Name == "Open relay").ToString());
        Assert.True(result.OpenRelay);
        Assert.Equal(new[] { "PLAIN", "LOGIN" }, result.AuthMechanisms);
        Assert.Empty(result.AuthMechanismsBeforeTls);
        Assert.Equal("StartTls", result.TlsMode);
    }

    [Fact]
    public void ImplicitTlsReportsTheHandshakeAndTheExtensionsAsAfterTls()
    {
        var seen = OverTls(Options(465), Trusted());
        seen.ImplicitTls = true;
        seen.ExtensionsBeforeTls = new[] { "PIPELINING", "AUTH PLAIN" };
        seen.ExtensionsAfterTls = Array.Empty<string>();

        var result = ProbeJudge.Judge(seen, TimeSpan.FromSeconds(1));

        Assert.Equal("Implicit", result.TlsMode);
        Assert.Equal("Pass Implicit TLS: Tls13, TLS_AES_256_GCM_SHA384", result.Checks.Single(c => c.Name == "Implicit TLS").ToString());
        Assert.DoesNotContain(result.Checks, c => c.Name == "STARTTLS");
        Assert.Empty(result.ExtensionsBeforeTls);
        Assert.Equal(new[] { "PIPELINING", "AUTH PLAIN" }, result.ExtensionsAfterTls);
        Assert.Equal("Pass AUTH before TLS: AUTH is offered only over TLS", result.Checks.Single(c => c.Name == "AUTH before TLS").ToString());
    }
}
