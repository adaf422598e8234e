using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Dns;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// DMARC as receivers find it (the DMARCbis DNS tree walk, every tag, external report authorization) and TLS-RPT
/// report URIs, against the test DNS server: one test per disagreement with checkdmarc in issue 25.
/// </summary>
public sealed class DmarcDiscoveryTests : IClassFixture<DmarcZoneFixture>
{
    private readonly DmarcZoneFixture dns;

    public DmarcDiscoveryTests(DmarcZoneFixture dns) => this.dns = dns;

    private async Task<MailDomainPolicy> PolicyOf(string domain) =>
        (await new MxResolver(dns.Options()).ResolveAsync(domain)).Policy!;

    private async Task<(DmarcPolicy? Policy, List<string> Warnings)> Discover(string domain, bool? exists = null)
    {
        var warnings = new List<string>();
        var policy = await new DmarcPolicyDiscovery(new DnsLookup(dns.Options())).DiscoverAsync(domain, exists, warnings, CancellationToken.None);
        return (policy, warnings);
    }

    [Fact]
    public async Task ASubdomainWithoutARecordFallsBackToItsOrganizationalDomainWithSp()
    {
        var policy = await PolicyOf("sub.fallback.test");

        var dmarc = Assert.IsType<DmarcPolicy>(policy.Dmarc);
        Assert.True(dmarc.IsFallback);
        Assert.Equal("fallback.test", dmarc.Domain);
        Assert.Equal("sub.fallback.test", dmarc.AuthorDomain);
        Assert.Equal("fallback.test", dmarc.OrganizationalDomain);
        Assert.Equal("reject", dmarc.Policy);
        Assert.Equal("none", dmarc.AppliedPolicy);
        Assert.Equal("sp", dmarc.AppliedPolicyTag);
        Assert.Equal("none (sp= of fallback.test, its organizational domain; sub.fallback.test publishes no DMARC record of its own)", dmarc.Verdict);
        Assert.Empty(policy.Warnings);

        var own = (await PolicyOf("fallback.test")).Dmarc!;
        Assert.False(own.IsFallback);
        Assert.Equal("reject", own.AppliedPolicy);
        Assert.Equal("reject (p= of fallback.test)", own.Verdict);
    }

    [Fact]
    public async Task ANonExistentSubdomainGetsNpAndAnExistingOneP()
    {
        var (ghost, _) = await Discover("ghost.np.test");
        var (host, _) = await Discover("host.np.test");

        Assert.False(ghost!.AuthorDomainExists);
        Assert.Equal(("reject", "np"), (ghost.AppliedPolicy, ghost.AppliedPolicyTag));
        Assert.Equal("reject (np= of np.test, its organizational domain; ghost.np.test does not exist)", ghost.Verdict);
        Assert.True(host!.AuthorDomainExists);
        Assert.Equal(("quarantine", "p"), (host.AppliedPolicy, host.AppliedPolicyTag));
    }

    [Fact]
    public async Task TheRecordWithTheFewestLabelsIsTheOrganizationalDomainNotTheNearestOne()
    {
        var (policy, _) = await Discover("a.mail.org.test");

        Assert.Equal("org.test", policy!.Domain);
        Assert.Equal("org.test", policy.OrganizationalDomain);
        Assert.Equal(("none", "sp"), (policy.AppliedPolicy, policy.AppliedPolicyTag));
    }

    [Fact]
    public async Task PsdNMakesTheNameItsOwnOrganizationalDomain()
    {
        var (policy, _) = await Discover("x.unit.corp.test");

        Assert.Equal("unit.corp.test", policy!.Domain);
        Assert.Equal("unit.corp.test", policy.OrganizationalDomain);
        Assert.Equal(("quarantine", "p"), (policy.AppliedPolicy, policy.AppliedPolicyTag));
    }

    [Fact]
    public async Task APublicSuffixRecordAppliesWhenTheRegisteredNamePublishesNone()
    {
        var (policy, _) = await Discover("shop.brand.suffix");

        Assert.Equal("suffix", policy!.Domain);
        Assert.Equal("brand.suffix", policy.OrganizationalDomain);
        Assert.Equal(("quarantine", "sp"), (policy.AppliedPolicy, policy.AppliedPolicyTag));
        Assert.Equal("quarantine (sp= of suffix, its public suffix domain (psd=y); shop.brand.suffix publishes no DMARC record of its own)", policy.Verdict);
    }

    [Fact]
    public async Task TheWalkOfADeepNameSkipsToItsLastSevenLabels()
    {
        // The psd=n record eleven labels up would stop the walk and win if the walk went label by label.
        var policy = (await PolicyOf(DmarcZoneFixture.DeepName)).Dmarc!;

        Assert.Equal("deep.test", policy.Domain);
        Assert.Equal("deep.test", policy.OrganizationalDomain);
        Assert.Equal(("reject", "p"), (policy.AppliedPolicy, policy.AppliedPolicyTag));
    }

    [Fact]
    public async Task TheWalkMakesAtMostEightQueries()
    {
        var before = dns.Server.QueryCount;

        var (policy, warnings) = await Discover("a.b.c.d.e.f.g.h.i.j.k.nothing.test", exists: true);

        Assert.Null(policy);
        Assert.Empty(warnings);
        Assert.Equal(DmarcPolicyDiscovery.MaxQueries, dns.Server.QueryCount - before);
    }

    [Fact]
    public async Task ReportDestinationsOutsideTheOrganizationalDomainNeedTheirAuthorizationRecord()
    {
        var policy = await PolicyOf("ext.test");

        var destinations = policy.Dmarc!.ReportDestinations;
        Assert.Equal(
            new[] { ("rua", "mailto:dmarc@reports.ext.test", false, (bool?)null), ("rua", "mailto:agg@vendor.example", true, true), ("ruf", "mailto:fail@unauthorized.example", true, false) },
            destinations.Select(d => (d.Tag, d.Uri, d.IsExternal, d.IsAuthorized)));
        Assert.Equal(10L * 1024 * 1024, destinations[1].MaxSize);
        Assert.Equal("mailto:agg@vendor.example!10m", destinations[1].ToString());
        Assert.Equal(
            new[] { "The DMARC record of ext.test sends failure reports (ruf) to mailto:fail@unauthorized.example, outside its organizational domain ext.test, but unauthorized.example does not authorize them: no v=DMARC1 record at ext.test._report._dmarc.unauthorized.example (RFC 7489 section 7.1); receivers send those reports nowhere." },
            policy.Warnings);
    }

    [Fact]
    public async Task InvalidTagValuesAreReportedWithTheirRfcSection()
    {
        var policy = await PolicyOf("tags.test");

        var dmarc = policy.Dmarc!;
        Assert.Equal(
            new[]
            {
                "The DMARC record of tags.test has sp=deny, which is not none, quarantine or reject (RFC 7489 section 6.3): receivers then act as if the record said p=none, or ignore it without a valid rua= (RFC 7489 section 6.6.3).",
                "The DMARC record of tags.test lists rua=mailto:dmarc@tags.test!10q with an invalid size limit '!10q': a size is digits with an optional unit k, m, g or t (RFC 7489 section 6.4).",
                "The DMARC record of tags.test has pct=150, which is not an integer from 0 to 100 (RFC 7489 section 6.3): receivers apply the policy to all failing mail.",
                "The DMARC record of tags.test has adkim=x, which is not r or s (RFC 7489 section 6.3): receivers use relaxed alignment.",
                "The DMARC record of tags.test has fo=2, which is not 0, 1, d or s, separated by colons (RFC 7489 section 6.3): receivers use fo=0.",
            },
            policy.Warnings);
        Assert.Equal((100, "r", "0"), (dmarc.Percentage, dmarc.DkimAlignment, dmarc.FailureReportingOptions));
        // An invalid sp= and no usable rua=: receivers apply no DMARC policy at all (RFC 7489 section 6.6.3).
        Assert.Null(dmarc.AppliedPolicy);
        Assert.StartsWith("no DMARC policy:", dmarc.Verdict);
    }

    [Fact]
    public async Task TlsRptReportUrisOtherThanMailtoAndHttpsAreErrors()
    {
        var policy = await PolicyOf("tlsrpt.test");

        var tlsRpt = policy.TlsReporting!;
        Assert.Equal(5, tlsRpt.ReportUris.Count);
        Assert.Equal(new[] { "http://reports.tlsrpt.test/v1", "ftp://reports.tlsrpt.test/in", "mailto:not-an-address" }, tlsRpt.InvalidReportUris);
        Assert.True(tlsRpt.IsUsable);
        Assert.Equal(
            new[]
            {
                "The TLS-RPT record of tlsrpt.test lists rua=http://reports.tlsrpt.test/v1, a URI with the http scheme: only mailto: with an address and https: are allowed (RFC 8460 section 3); senders send no reports there.",
                "The TLS-RPT record of tlsrpt.test lists rua=ftp://reports.tlsrpt.test/in, a URI with the ftp scheme: only mailto: with an address and https: are allowed (RFC 8460 section 3); senders send no reports there.",
                "The TLS-RPT record of tlsrpt.test lists rua=mailto:not-an-address, a mailto: URI without one valid address: only mailto: with an address and https: are allowed (RFC 8460 section 3); senders send no reports there.",
            },
            policy.Warnings);
    }
}
