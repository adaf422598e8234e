using System.Linq;
using System.Threading.Tasks;
using SmtpOps.Dns;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>The -Policy records (MTA-STS, TLS-RPT, DANE, SPF, DMARC) against the test DNS server.</summary>
public sealed class MailPolicyTests : IClassFixture<DnsZoneFixture>
{
    private readonly DnsZoneFixture dns;

    public MailPolicyTests(DnsZoneFixture dns) => this.dns = dns;

    [Fact]
    public async Task WellFormedRecordsAreReadWithTheirTags()
    {
        var plan = await new MxResolver(dns.Options() with { IncludePolicy = true }).ResolveAsync("policy.test");

        var policy = Assert.IsType<MailDomainPolicy>(plan.Policy);
        Assert.Equal("v=spf1 mx -all", policy.Spf!.Record);
        Assert.Equal("-all", policy.Spf.AllMechanism);
        Assert.Equal("reject", policy.Dmarc!.Policy);
        Assert.Equal("quarantine", policy.Dmarc.SubdomainPolicy);
        Assert.Equal(new[] { "mailto:dmarc@policy.test", "mailto:copy@policy.test" }, policy.Dmarc.ReportUris);
        Assert.Equal(new[] { "mailto:tlsrpt@policy.test" }, policy.TlsReporting!.ReportUris);
        Assert.Equal("20260101T000000", policy.MtaSts!.Id);
        // No network here: the policy host has no address in the test zone, so the fetch is reported, not thrown.
        Assert.False(policy.MtaSts.IsFetched);
        Assert.Equal("unreachable: mta-sts.policy.test has no address", policy.MtaSts.FetchError);
        Assert.Equal(new[] { "The MTA-STS policy of policy.test could not be fetched: unreachable: mta-sts.policy.test has no address." }, policy.Warnings);

        var exchanger = Assert.Single(plan.Exchangers);
        Assert.Same(policy, exchanger.Policy);
        var tlsa = exchanger.Tlsa!;
        Assert.Equal("_25._tcp.mx.policy.test", tlsa.Name);
        Assert.True(tlsa.IsAuthenticated);
        Assert.True(tlsa.IsUsable);
        Assert.Equal("3 1 1 " + DnsZoneFixture.DaneHash, Assert.Single(tlsa.Records).ToString());
        Assert.Empty(exchanger.Warnings);
    }

    [Fact]
    public async Task MalformedRecordsAreReportedNotThrown()
    {
        var plan = await new MxResolver(dns.Options() with { IncludePolicy = true }).ResolveAsync("badpolicy.test");

        var policy = plan.Policy!;
        Assert.Null(policy.Spf);
        Assert.Null(policy.Dmarc!.Policy);
        Assert.Null(policy.MtaSts!.Id);
        Assert.Empty(policy.TlsReporting!.ReportUris);
        Assert.Equal(
            new[]
            {
                "badpolicy.test publishes 2 SPF records; receivers treat that as a permanent error (RFC 7208 section 4.5): v=spf1 a -all | v=spf1 mx ~all",
                "The DMARC record of badpolicy.test has no valid p= tag (none, quarantine or reject): 'v=DMARC1; rua=mailto:dmarc@badpolicy.test'.",
                "The TLS-RPT record of badpolicy.test has no rua= tag: 'v=TLSRPTv1;'.",
                "The _mta-sts record of badpolicy.test has no valid id= tag (1 to 32 letters and digits): 'v=STSv1;'.",
            },
            policy.Warnings);

        var exchanger = Assert.Single(plan.Exchangers);
        Assert.False(exchanger.Tlsa!.IsAuthenticated);
        Assert.False(exchanger.Tlsa.IsUsable);
        Assert.Single(exchanger.Tlsa.Records);
        Assert.Equal(new[] { "mx.badpolicy.test publishes TLSA records but the answer was not DNSSEC-authenticated: senders ignore them (RFC 7672)." }, exchanger.Warnings);
    }

    [Fact]
    public async Task ADomainWithoutRecordsHasNoPolicyAndNoTlsa()
    {
        var plan = await new MxResolver(dns.Options() with { IncludePolicy = true }).ResolveAsync("contoso.test");

        var policy = plan.Policy!;
        Assert.Null(policy.Spf);
        Assert.Null(policy.Dmarc);
        Assert.Null(policy.MtaSts);
        Assert.Null(policy.TlsReporting);
        Assert.Empty(policy.Warnings);
        Assert.All(plan.Exchangers, e => Assert.Empty(e.Tlsa!.Records));
    }

    [Theory]
    [InlineData("mx1.mail.contoso.com", "*.mail.contoso.com", true)]
    [InlineData("a.b.mail.contoso.com", "*.mail.contoso.com", false)]
    [InlineData("mail.contoso.com", "mail.contoso.com", true)]
    [InlineData("mail.contoso.com", "*.contoso.com", true)]
    [InlineData("contoso.com", "*.contoso.com", false)]
    public void MtaStsMxPatternsMatchOneWildcardLabel(string host, string pattern, bool matches) =>
        Assert.Equal(matches, MtaStsPolicy.MatchesPattern(host, pattern));

    [Fact]
    public void AnMtaStsPolicyFileIsParsedLineByLine()
    {
        var fields = MtaStsPolicy.ParsePolicyFile("version: STSv1\r\nmode: enforce\r\nmx: mail.contoso.com\r\nmx: *.backup.contoso.com\r\nmax_age: 604800\r\n");

        Assert.Equal(new[] { "version", "mode", "mx", "mx", "max_age" }, fields.Select(f => f.Key));
        Assert.Equal("*.backup.contoso.com", fields[3].Value);
    }
}
