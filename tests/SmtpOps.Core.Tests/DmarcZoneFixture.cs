using System;
using System.Threading.Tasks;
using SmtpOps.Dns;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// A DNS server on 127.0.0.1 with the DMARC and TLS-RPT cases of issue 25: records a subdomain inherits by the
/// DMARCbis tree walk, public suffix flags, names deep enough for the walk to skip labels, external report
/// destinations with and without their authorization record, and TLS-RPT report URIs of every kind.
/// </summary>
public sealed class DmarcZoneFixture : IAsyncLifetime
{
    /// <summary>Twelve labels: the walk asks the name itself, then its last seven labels, six, ... one: eight queries.</summary>
    public const string DeepName = "a.b.c.d.e.f.g.h.i.j.deep.test";

    public static TestDnsZone Zone() => new TestDnsZone()
        // A parent that rejects but spares its subdomains; the subdomain has no record of its own.
        .Mx("fallback.test", 10, "mx.fallback.test").A("mx.fallback.test", "192.0.2.80")
        .Txt("_dmarc.fallback.test", "v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@fallback.test")
        .Mx("sub.fallback.test", 10, "mx.fallback.test")
        .A("www.fallback.test", "192.0.2.81")
        // No sp: the subdomain gets p; np for names that do not exist.
        .Txt("_dmarc.np.test", "v=DMARC1; p=quarantine; np=reject")
        .A("host.np.test", "192.0.2.82")
        // A record between the domain and its organizational domain is not the one that applies (DMARCbis 4.10.1).
        .Txt("_dmarc.mail.org.test", "v=DMARC1; p=quarantine")
        .Txt("_dmarc.org.test", "v=DMARC1; p=reject; sp=none")
        .A("a.mail.org.test", "192.0.2.83")
        // psd=n makes the name its own organizational domain and stops the walk.
        .Txt("_dmarc.unit.corp.test", "v=DMARC1; p=quarantine; psd=n")
        .Txt("_dmarc.corp.test", "v=DMARC1; p=none")
        .A("x.unit.corp.test", "192.0.2.84")
        // A public suffix (psd=y) whose registered name publishes nothing: the suffix's record applies, sp= of it.
        .Txt("_dmarc.suffix", "v=DMARC1; p=reject; sp=quarantine; psd=y")
        .A("shop.brand.suffix", "192.0.2.85")
        // Deep names: a psd=n record at eleven labels must be skipped by the walk, the one at deep.test applies.
        .A(DeepName, "192.0.2.86")
        .Txt("_dmarc.b.c.d.e.f.g.h.i.j.deep.test", "v=DMARC1; p=none; psd=n")
        .Txt("_dmarc.deep.test", "v=DMARC1; p=reject")
        .A("a.b.c.d.e.f.g.h.i.j.k.nothing.test", "192.0.2.87")
        // External report destinations: one authorizes the reports, one does not, one is inside the domain.
        .Mx("ext.test", 10, "mx.ext.test").A("mx.ext.test", "192.0.2.88")
        .Txt("_dmarc.ext.test", "v=DMARC1; p=reject; rua=mailto:dmarc@reports.ext.test,mailto:agg@vendor.example!10m; ruf=mailto:fail@unauthorized.example")
        .Txt("ext.test._report._dmarc.vendor.example", "v=DMARC1")
        // Every tag with an invalid value.
        .Mx("tags.test", 10, "mx.tags.test").A("mx.tags.test", "192.0.2.89")
        .Txt("_dmarc.tags.test", "v=DMARC1; p=reject; sp=deny; pct=150; adkim=x; fo=2; rua=mailto:dmarc@tags.test!10q")
        // TLS-RPT report URIs: two usable, three that RFC 8460 section 3 does not allow.
        .Mx("tlsrpt.test", 10, "mx.tlsrpt.test").A("mx.tlsrpt.test", "192.0.2.90")
        .Txt("_smtp._tls.tlsrpt.test", "v=TLSRPTv1; rua=mailto:tls@tlsrpt.test,https://reports.tlsrpt.test/v1,http://reports.tlsrpt.test/v1,ftp://reports.tlsrpt.test/in,mailto:not-an-address");

    public TestDnsServer Server { get; private set; } = null!;

    public MxResolverOptions Options() => new()
    {
        Servers = new[] { Server.EndPoint },
        Timeout = TimeSpan.FromSeconds(2),
        Retries = 1,
        Randomize = false,
        UseCache = false,
        IncludePolicy = true,
        FetchMtaStsPolicy = false,
    };

    public async Task InitializeAsync() => Server = await TestDnsServer.StartAsync(Zone());

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
