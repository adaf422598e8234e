using System;
using System.Linq;
using System.Threading.Tasks;
using Org.BouncyCastle.Tls;
using SmtpOps.Probing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests.Probing;

/// <summary>
/// Every probe is a full TLS handshake and reports the certificate presented on its own connection: two ports of one
/// server that share their session cache (as Postfix shares session-ticket keys across listeners) must not let the
/// second probe resume the first port's session and report the first port's certificate.
/// </summary>
public sealed class SmtpProbeTlsResumptionTests
{
    [Fact]
    public async Task SecondPortOfAServerSharingSessionsReportsItsOwnRevokedCertificate()
    {
        using var authority = TestCertificates.CreateAuthority();
        await using var crl = CrlServer.Start();
        var now = DateTimeOffset.UtcNow;
        using var good = TestCertificates.IssueServerCertificate(authority, ["localhost", "127.0.0.1"], now.AddDays(-1), now.AddDays(90), crl.Url);
        using var revoked = TestCertificates.IssueServerCertificate(authority, ["localhost", "127.0.0.1"], now.AddDays(-1), now.AddDays(90), crl.Url);
        crl.Publish(TestCertificates.CreateRevocationList(authority, revoked));
        var sessions = new LegacyTlsSessionCache();
        // TLS 1.2 with session ids: the resumption .NET offers by host name, whatever the port.
        await using var portA = LegacyTlsSmtpServer.Start(new() { Certificate = good, Versions = ProtocolVersion.TLSv12.Only(), SessionCache = sessions });
        await using var portB = LegacyTlsSmtpServer.Start(new() { Certificate = revoked, Versions = ProtocolVersion.TLSv12.Only(), SessionCache = sessions });
        SmtpProbeOptions Options(int port) => new()
        {
            Host = "localhost",
            Address = "127.0.0.1",
            Port = port,
            Tls = new SmtpTlsPolicy { TrustedRoots = [authority] },
            Timeout = TimeSpan.FromSeconds(5),
            HeloName = "probe.test",
        };

        var first = await new SmtpProbe().ProbeAsync(Options(portA.Port));
        var second = await new SmtpProbe().ProbeAsync(Options(portB.Port));

        Assert.Equal(good.Thumbprint, first.Certificate!.Thumbprint, ignoreCase: true);
        Assert.Equal(CertificateRevocationStatus.Good, first.Certificate.Revocation);
        Assert.Equal(revoked.Thumbprint, second.Certificate!.Thumbprint, ignoreCase: true);
        Assert.Equal(CertificateRevocationStatus.Revoked, second.Certificate.Revocation);
        var revocation = second.Checks.Single(c => c.Name == "Certificate revocation");
        Assert.NotEqual(ProbeVerdict.Pass, revocation.Verdict);
        Assert.StartsWith("revoked by its issuer", revocation.Reason, StringComparison.Ordinal);
        Assert.Equal(0, sessions.Resumptions);
    }
}
