using System;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Org.BouncyCastle.Tls;
using SmtpOps.Probing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests.Probing;

/// <summary>
/// The probe's "TLS versions" and "Cipher suites" checks, and its certificate name rule, against real servers on
/// 127.0.0.1: a BouncyCastle server that offers what OpenSSL 3 here refuses (TLS 1.0/1.1, anonymous, NULL, CBC-only,
/// non-forward-secret suites), and the SslStream test server as a healthy one.
/// </summary>
public sealed class SmtpProbeTlsScanTests
{
    private static readonly X509Certificate2 Authority = TestCertificates.CreateAuthority();
    private static readonly X509Certificate2 Leaf = TestCertificates.IssueServerCertificate(Authority, ["localhost", "127.0.0.1"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));

    private static SmtpProbeOptions Options(int port) => new()
    {
        Host = "localhost",
        Address = "127.0.0.1",
        Port = port,
        Tls = new SmtpTlsPolicy { TrustedRoots = [Authority] },
        Timeout = TimeSpan.FromSeconds(5),
        HeloName = "probe.test",
    };

    private static ProbeCheck Check(SmtpProbeResult result, string name)
        => result.Checks.SingleOrDefault(c => c.Name == name) ?? throw new Xunit.Sdk.XunitException($"No '{name}' check in: {string.Join(" | ", result.Checks)}");

    private static TlsOfferStatus Status(SmtpProbeResult result, string name)
        => result.TlsVersions.Concat(result.CipherClasses).Single(o => o.Name == name).Status;

    [Fact]
    public async Task WeakServerIsReportedWithItsDeprecatedVersionsAndEveryWeakClassOfSuites()
    {
        await using var server = LegacyTlsSmtpServer.Start(new()
        {
            Certificate = Leaf,
            Versions = ProtocolVersion.TLSv12.DownTo(ProtocolVersion.TLSv10),
            // Anonymous, NULL, and one authenticated suite that is CBC with RSA key transport (no forward secrecy).
            CipherSuites = [CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_DH_anon_WITH_AES_128_CBC_SHA, CipherSuite.TLS_RSA_WITH_NULL_SHA],
        });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port));

        Assert.Equal(TlsOfferStatus.Offered, Status(result, "TLS 1.0"));
        Assert.Equal(TlsOfferStatus.Offered, Status(result, "TLS 1.1"));
        Assert.Equal(TlsOfferStatus.Offered, Status(result, "TLS 1.2"));
        Assert.Equal(TlsOfferStatus.NotOffered, Status(result, "TLS 1.3"));
        var versions = Check(result, "TLS versions");
        Assert.Equal(ProbeVerdict.Warn, versions.Verdict);
        Assert.Contains("TLS 1.0 and TLS 1.1 deprecated by RFC 8996", versions.Reason, StringComparison.Ordinal);

        Assert.Equal(TlsOfferStatus.Offered, Status(result, "Anonymous"));
        Assert.Equal("TLS_DH_anon_WITH_AES_128_CBC_SHA", result.CipherClasses.Single(c => c.Name == "Anonymous").CipherSuite);
        Assert.Equal(TlsOfferStatus.Offered, Status(result, "NULL"));
        Assert.Equal(TlsOfferStatus.NotOffered, Status(result, "Forward secrecy"));
        Assert.Equal(TlsOfferStatus.NotOffered, Status(result, "AEAD"));
        Assert.Equal(TlsOfferStatus.NotTested, Status(result, "Export"));
        var ciphers = Check(result, "Cipher suites");
        Assert.Equal(ProbeVerdict.Fail, ciphers.Verdict);
        Assert.Contains("anonymous suites offered", ciphers.Reason, StringComparison.Ordinal);
        Assert.Contains("NULL suites offered (no encryption): TLS_RSA_WITH_NULL_SHA", ciphers.Reason, StringComparison.Ordinal);
        Assert.Contains("no forward secrecy", ciphers.Reason, StringComparison.Ordinal);
        Assert.Contains("CBC only", ciphers.Reason, StringComparison.Ordinal);
        Assert.EndsWith("(BouncyCastle handshakes)", ciphers.Reason, StringComparison.Ordinal);
        // This machine's TLS library (SslStream on OpenSSL) has no suite in common with it: the cause is named.
        Assert.Contains("cause: the server offers no forward-secret suite (it chose TLS_RSA_WITH_AES_128_CBC_SHA)", Check(result, "STARTTLS").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerSpeakingOnlyTls10GetsItsCauseNamed()
    {
        await using var server = LegacyTlsSmtpServer.Start(new() { Certificate = Leaf, Versions = ProtocolVersion.TLSv10.Only() });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port));

        var startTls = Check(result, "STARTTLS");
        Assert.Equal(ProbeVerdict.Fail, startTls.Verdict);
        Assert.Contains("cause: the server offers only TLS 1.0 (deprecated by RFC 8996), which this machine's TLS library refuses", startTls.Reason, StringComparison.Ordinal);
        Assert.Equal(TlsOfferStatus.Offered, Status(result, "TLS 1.0"));
        Assert.Equal(TlsOfferStatus.NotOffered, Status(result, "TLS 1.2"));
        Assert.Equal(ProbeVerdict.Warn, Check(result, "TLS versions").Verdict);
    }

    [Fact]
    public async Task HealthyServerOffersOnlyCurrentVersionsAndStrongSuites()
    {
        // SslStream as the server, with this machine's OpenSSL defaults: TLS 1.2 and 1.3, no anonymous or NULL suites.
        await using var server = await ScriptedSmtpServer.StartAsync(new() { StartTlsCertificate = Leaf });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port));

        var versions = Check(result, "TLS versions");
        Assert.Equal(ProbeVerdict.Pass, versions.Verdict);
        Assert.StartsWith("offered: TLS 1.2, TLS 1.3; not offered: TLS 1.0, TLS 1.1", versions.Reason, StringComparison.Ordinal);
        Assert.Equal(ProbeVerdict.Pass, Check(result, "Cipher suites").Verdict);
        Assert.Equal(TlsOfferStatus.NotOffered, Status(result, "Anonymous"));
        Assert.Equal(TlsOfferStatus.Offered, Status(result, "Forward secrecy"));
        Assert.NotNull(result.Timings.TlsScan);
    }

    [Fact]
    public async Task ImplicitTlsIsScannedFromTheFirstByte()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { ImplicitTlsCertificate = Leaf });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Tls = new SmtpTlsPolicy { TrustedRoots = [Authority], Security = SmtpSecurity.SslOnConnect } });

        Assert.Equal(ProbeVerdict.Pass, Check(result, "TLS versions").Verdict);
        Assert.Equal(TlsOfferStatus.Offered, Status(result, "TLS 1.3"));
        Assert.Equal(TlsOfferStatus.NotOffered, Status(result, "TLS 1.0"));
    }

    [Fact]
    public async Task NoScanWhenTurnedOff()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = Leaf });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port) with { ScanTls = false });

        Assert.DoesNotContain(result.Checks, c => c.Name is "TLS versions" or "Cipher suites");
        Assert.Empty(result.TlsVersions);
        Assert.Null(result.Timings.TlsScan);
    }

    [Fact]
    public async Task CertificateNamingTheHostOnlyInItsCommonNameWarnsWithRfc9525()
    {
        await using var server = await TestSmtpServer.StartAsync(new() { Tls = TestSmtpTls.StartTls, Certificate = TestCertificates.IssueCommonNameOnlyCertificate(Authority, "localhost") });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port) with { ScanTls = false });

        var name = Check(result, "Certificate name");
        Assert.Equal(ProbeVerdict.Warn, name.Verdict);
        Assert.Contains("no subjectAltName", name.Reason, StringComparison.Ordinal);
        Assert.Contains("RFC 9525", name.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Certificate!.SubjectAlternativeNames);
    }
}
