using System;
using System.Threading.Tasks;
using SmtpOps.Dns;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>One DNS server on 127.0.0.1 serving every case the resolver tests need.</summary>
public sealed class DnsZoneFixture : IAsyncLifetime
{
    public const string DaneHash = "0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6";

    public static TestDnsZone Zone() => new TestDnsZone()
        // Several MX, equal and different preferences.
        .Mx("contoso.test", 10, "mx1.contoso.test", 3600)
        .Mx("contoso.test", 10, "mx2.contoso.test", 3600)
        .Mx("contoso.test", 20, "backup.contoso.test", 3600)
        .A("mx1.contoso.test", "192.0.2.11").Aaaa("mx1.contoso.test", "2001:db8::11")
        .A("mx2.contoso.test", "192.0.2.12")
        .A("backup.contoso.test", "192.0.2.20")
        // No MX, but addresses: implicit MX.
        .A("implicit.test", "192.0.2.30", 600).Aaaa("implicit.test", "2001:db8::30", 900)
        // RFC 7505 null MX.
        .Mx("nullmx.test", 0, ".", 86400)
        // The domain itself is an alias.
        .Cname("alias.test", "contoso.test")
        // An exchange that is an alias.
        .Mx("cnamemx.test", 10, "mail.cnamemx.test")
        .Cname("mail.cnamemx.test", "real.cnamemx.test")
        .A("real.cnamemx.test", "192.0.2.40")
        // Exchanges without addresses: one exists (NODATA), one does not (NXDOMAIN).
        .Mx("noaddr.test", 10, "empty.noaddr.test")
        .Mx("noaddr.test", 20, "ghost.noaddr.test")
        .Txt("empty.noaddr.test", "no address here")
        // An exchange whose address lookup never gets an answer.
        .Mx("slowmx.test", 10, "silent.slowmx.test")
        .Mx("slowmx.test", 20, "fast.slowmx.test")
        .A("fast.slowmx.test", "192.0.2.50")
        // Exists, but neither MX nor address.
        .Txt("nothing.test", "v=spf1 -all")
        // Failures.
        .FailWithServerFailure("servfail.test")
        .FailWithRefused("refused.test")
        .NeverAnswer("silent.test")
        .NeverAnswer("silent.slowmx.test")
        // Mail-security records, well formed.
        .Mx("policy.test", 10, "mx.policy.test")
        .A("mx.policy.test", "192.0.2.60")
        .Txt("policy.test", "v=spf1 mx -all")
        .Txt("policy.test", "google-site-verification=abc")
        .Txt("_dmarc.policy.test", "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@policy.test,mailto:copy@policy.test")
        .Txt("_mta-sts.policy.test", "v=STSv1; id=20260101T000000")
        .Txt("_smtp._tls.policy.test", "v=TLSRPTv1; rua=mailto:tlsrpt@policy.test")
        .Tlsa("_25._tcp.mx.policy.test", "3 1 1 " + DaneHash)
        .Authenticate("_25._tcp.mx.policy.test")
        // Mail-security records, malformed.
        .Mx("badpolicy.test", 10, "mx.badpolicy.test")
        .A("mx.badpolicy.test", "192.0.2.70")
        .Txt("badpolicy.test", "v=spf1 a -all")
        .Txt("badpolicy.test", "v=spf1 mx ~all")
        .Txt("_dmarc.badpolicy.test", "v=DMARC1; rua=mailto:dmarc@badpolicy.test")
        .Txt("_mta-sts.badpolicy.test", "v=STSv1;")
        .Txt("_smtp._tls.badpolicy.test", "v=TLSRPTv1;")
        .Tlsa("_25._tcp.mx.badpolicy.test", "3 1 1 " + DaneHash);

    public TestDnsServer Server { get; private set; } = null!;

    public MxResolverOptions Options(bool randomize = false) => new()
    {
        Servers = new[] { Server.EndPoint },
        // Generous: tests run in parallel on small machines; the silent cases set their own, shorter timeouts.
        Timeout = TimeSpan.FromSeconds(2),
        Retries = 1,
        Randomize = randomize,
        UseCache = false,
    };

    public async Task InitializeAsync() => Server = await TestDnsServer.StartAsync(Zone());

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
