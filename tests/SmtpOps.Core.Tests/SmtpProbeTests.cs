using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using SmtpOps.Probing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>SmtpProbe against real SMTP servers on 127.0.0.1, one per situation an admin meets.</summary>
public sealed class SmtpProbeTests
{
    private const string Password = "Probe-S3cret!";
    private static readonly X509Certificate2 Authority = TestCertificates.CreateAuthority();
    private static readonly Dictionary<string, string> Users = new() { ["alice"] = Password };

    private static X509Certificate2 Issue(string name, double daysLeft)
        => TestCertificates.IssueServerCertificate(Authority, new[] { name, "127.0.0.1" }, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(daysLeft));

    private static SmtpProbeOptions Options(int port) => new()
    {
        Host = "localhost",
        Address = "127.0.0.1",
        Port = port,
        Tls = new SmtpTlsPolicy { TrustedRoots = new[] { Authority } },
        Timeout = TimeSpan.FromSeconds(5),
        HeloName = "probe.test",
    };

    private static ProbeCheck Check(SmtpProbeResult result, string name)
        => result.Checks.SingleOrDefault(c => c.Name == name) ?? throw new Xunit.Sdk.XunitException($"No '{name}' check in: {string.Join(" | ", result.Checks)}");

    [Fact]
    public async Task HealthyStartTlsServerPassesEveryCheckAndNothingIsSent()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = Issue("localhost", 365), Users = Users });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port) with
        {
            Credential = SmtpCredential.FromPassword("alice", Password),
            From = "probe@contoso.test",
            To = "ops@contoso.test",
        });

        // The test CA's leaf names no CRL distribution point, as most private-CA certificates: revocation is
        // unknown, which the default policy accepts and the probe reports as the only warning.
        Assert.All(result.Checks.Where(c => c.Name != "Certificate revocation"), c => Assert.Equal(ProbeVerdict.Pass, c.Verdict));
        Assert.Equal(ProbeVerdict.Warn, Check(result, "Certificate revocation").Verdict);
        Assert.Contains("names no CRL distribution point", Check(result, "Certificate revocation").Reason);
        Assert.StartsWith("would send: trusted", Check(result, "TLS policy").Reason);
        Assert.Equal(CertificateTrust.Trusted, result.Certificate!.Trust);
        Assert.Equal(CertificateRevocationStatus.Unknown, result.Certificate.Revocation);
        Assert.Equal(new[] { "Connect", "Banner", "EHLO", "STARTTLS", "TLS protocol", "TLS versions", "Cipher suites", "Certificate chain", "Certificate name", "Certificate expiry", "Certificate revocation", "Banner host", "AUTH before TLS", "AUTH", "TLS policy", "Recipient" }, result.Checks.Select(c => c.Name));
        Assert.Equal(220, result.Banner!.Code);
        Assert.Equal("localhost", result.BannerHostName);
        Assert.Equal("StartTls", result.TlsMode);
        Assert.Contains("STARTTLS", result.ExtensionsBeforeTls);
        Assert.Empty(result.AuthMechanismsBeforeTls);
        Assert.Equal(new[] { "PLAIN", "LOGIN" }, result.AuthMechanisms);
        Assert.Equal(235, result.AuthReply!.Code);
        Assert.Equal(250, result.RecipientReply!.Code);
        Assert.True(result.Certificate!.ChainValid);
        Assert.True(result.Certificate.NameMatches);
        Assert.Contains("localhost", result.Certificate.SubjectAlternativeNames);
        Assert.Contains("127.0.0.1", result.Certificate.SubjectAlternativeNames);
        Assert.InRange(result.Certificate.DaysLeft, 363, 365);
        Assert.NotNull(result.Timings.Connect);
        Assert.NotNull(result.Timings.TlsHandshake);
        Assert.NotNull(result.Timings.Auth);
        Assert.Equal("alice", Assert.Single(server.AuthenticatedUsers));
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task ExpiredCertificateFailsAndAuthIsNotAttempted()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = Issue("localhost", -2), Users = Users });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Credential = SmtpCredential.FromPassword("alice", Password) });

        Assert.Equal(ProbeVerdict.Fail, Check(result, "Certificate expiry").Verdict);
        Assert.StartsWith("expired on ", Check(result, "Certificate expiry").Reason);
        Assert.Equal(ProbeVerdict.Fail, Check(result, "Certificate chain").Verdict);
        Assert.Contains("NotTimeValid", result.Certificate!.ChainErrors);
        Assert.Equal(ProbeVerdict.Fail, Check(result, "AUTH").Verdict);
        Assert.StartsWith("not attempted", Check(result, "AUTH").Reason);
        Assert.Empty(server.AuthenticatedUsers);
        Assert.Equal(ProbeVerdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task CertificateExpiringSoonWarnsWithTheDaysLeft()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = Issue("localhost", 9.5) });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port));

        var expiry = Check(result, "Certificate expiry");
        Assert.Equal(ProbeVerdict.Warn, expiry.Verdict);
        Assert.StartsWith("certificate expires in 9 days", expiry.Reason);
        Assert.Equal(ProbeVerdict.Warn, result.Verdict);
    }

    [Fact]
    public async Task NameMismatchedCertificateFailsWithCredentialsAndWarnsWhenTlsIsOpportunistic()
    {
        var certificate = TestCertificates.IssueServerCertificate(Authority, new[] { "mail.wrong.example" }, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = certificate, Users = Users });

        var authenticating = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Credential = SmtpCredential.FromPassword("alice", Password) });
        var opportunistic = await new SmtpProbe().ProbeAsync(Options(server.Port));

        Assert.False(authenticating.Certificate!.NameMatches);
        Assert.Equal("the certificate is for mail.wrong.example, not localhost", Check(authenticating, "Certificate name").Reason);
        Assert.Equal(ProbeVerdict.Fail, Check(authenticating, "Certificate name").Verdict);
        Assert.Equal(ProbeVerdict.Pass, Check(authenticating, "Certificate chain").Verdict);
        Assert.Equal(ProbeVerdict.Warn, Check(authenticating, "Banner host").Verdict);
        Assert.Equal(ProbeVerdict.Fail, Check(authenticating, "TLS policy").Verdict);
        Assert.StartsWith("not attempted: the certificate is refused", Check(authenticating, "AUTH").Reason);

        // Without credentials under Auto the mail would otherwise go in clear: encrypted, unvalidated, a warning.
        Assert.Equal(ProbeVerdict.Warn, Check(opportunistic, "Certificate name").Verdict);
        Assert.EndsWith("used unvalidated: opportunistic TLS without credentials", Check(opportunistic, "Certificate name").Reason);
        Assert.Equal(ProbeVerdict.Warn, Check(opportunistic, "TLS policy").Verdict);
        Assert.StartsWith("would send encrypted but unvalidated", Check(opportunistic, "TLS policy").Reason);
        Assert.Equal(CertificateTrust.Unvalidated, opportunistic.Certificate!.Trust);
    }

    [Fact]
    public async Task SelfSignedCertificateIsNotTrusted()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls });

        var required = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Tls = new SmtpTlsPolicy { Security = SmtpSecurity.StartTls } });
        var pinned = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Tls = new SmtpTlsPolicy { Security = SmtpSecurity.StartTls, CertificateThumbprints = new[] { server.Certificate!.Thumbprint } } });

        Assert.Equal(ProbeVerdict.Fail, Check(required, "Certificate chain").Verdict);
        Assert.Contains("UntrustedRoot", Check(required, "Certificate chain").Reason);
        Assert.False(required.Certificate!.ChainValid);
        Assert.Equal(server.Certificate.Thumbprint, required.Certificate.Thumbprint);
        Assert.StartsWith("would refuse: 'CN=localhost' is not trusted: self-signed", Check(required, "TLS policy").Reason);
        Assert.Equal(ProbeVerdict.Warn, Check(pinned, "Certificate chain").Verdict);
        Assert.Equal(ProbeVerdict.Pass, Check(pinned, "TLS policy").Verdict);
        Assert.Equal(CertificateTrust.Pinned, pinned.Certificate!.Trust);
    }

    [Fact]
    public async Task AuthOfferedBeforeTlsFails()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = Issue("localhost", 90), Users = Users, AllowUnsecureAuthentication = true });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port));

        Assert.Equal(new[] { "PLAIN", "LOGIN" }, result.AuthMechanismsBeforeTls);
        var check = Check(result, "AUTH before TLS");
        Assert.Equal(ProbeVerdict.Fail, check.Verdict);
        Assert.Equal("AUTH PLAIN LOGIN offered before TLS: a client may send its password in clear", check.Reason);
    }

    [Fact]
    public async Task NoStartTlsOnPort25Fails()
    {
        await using var server = await TestSmtpServer.StartAsync(new());

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port));

        Assert.Equal("None", result.TlsMode);
        Assert.Equal(ProbeVerdict.Fail, Check(result, "STARTTLS").Verdict);
        Assert.StartsWith("no STARTTLS on port", Check(result, "STARTTLS").Reason);
        Assert.Null(result.Certificate);
    }

    [Fact]
    public async Task ImplicitTlsIsProbedFromTheFirstByte()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.Implicit, Certificate = Issue("localhost", 90) });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Tls = new SmtpTlsPolicy { Security = SmtpSecurity.SslOnConnect, TrustedRoots = new[] { Authority } } });

        Assert.Equal("Implicit", result.TlsMode);
        Assert.Equal(ProbeVerdict.Pass, Check(result, "Implicit TLS").Verdict);
        Assert.Empty(result.ExtensionsBeforeTls);
        Assert.Equal(220, result.Banner!.Code);
        Assert.DoesNotContain(result.Checks, c => c.Name == "STARTTLS");
    }

    [Fact]
    public async Task ServerThatAcceptsAForeignRecipientUnauthenticatedIsAnOpenRelay()
    {
        await using var server = await TestSmtpServer.StartAsync(new());

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port) with { TestOpenRelay = true });

        Assert.True(result.OpenRelay);
        Assert.Equal(ProbeVerdict.Fail, Check(result, "Open relay").Verdict);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task WrongPasswordAndRefusedRecipientAreReported()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = Issue("localhost", 90), Users = Users, RejectRecipients = new[] { "gone@contoso.test" } });

        var badPassword = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Credential = SmtpCredential.FromPassword("alice", "wrong") });
        var refused = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Credential = SmtpCredential.FromPassword("alice", Password), To = "gone@contoso.test" });

        Assert.Equal(ProbeVerdict.Fail, Check(badPassword, "AUTH").Verdict);
        Assert.Equal(535, badPassword.AuthReply!.Code);
        Assert.Equal(ProbeVerdict.Fail, Check(refused, "Recipient").Verdict);
        Assert.Equal(550, refused.RecipientReply!.Code);
    }

    [Fact]
    public async Task ClosedPortFailsTheConnectCheck()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await new SmtpProbe().ProbeAsync(Options(port));

        Assert.False(result.Connected);
        Assert.Equal(ProbeVerdict.Fail, Check(result, "Connect").Verdict);
        Assert.Single(result.Checks);
    }

    [Fact]
    public async Task TranscriptRedactsTheAuthExchange()
    {
        var transcript = Path.Combine(Path.GetTempPath(), $"smtpops-probe-{Guid.NewGuid():N}.log");
        try
        {
            await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = Issue("localhost", 90), Users = Users });

            await new SmtpProbe().ProbeAsync(Options(server.Port) with { Credential = SmtpCredential.FromPassword("alice", Password), TranscriptPath = transcript });

            var text = await File.ReadAllTextAsync(transcript);
            Assert.Contains("C: AUTH PLAIN ********", text);
            Assert.Contains("S: 235", text);
            Assert.DoesNotContain(Password, text);
            Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0alice\0{Password}")), text);
        }
        finally
        {
            File.Delete(transcript);
        }
    }
}
