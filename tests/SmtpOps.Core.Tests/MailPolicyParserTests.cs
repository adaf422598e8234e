using System;
using System.Collections.Generic;
using SmtpOps.Dns;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>The mail-policy records' parsers on their own: TXT texts in, a record and warnings out, no DNS.</summary>
public sealed class MailPolicyParserTests
{
    [Theory]
    [InlineData("v=spf1 mx -all", "-all")]
    [InlineData("V=SPF1 a ~ALL", "~ALL")]
    [InlineData("v=spf1 include:spf.protection.outlook.com", null)]
    public void SpfKeepsTheRecordAndItsAllMechanism(string text, string? all)
    {
        var warnings = new List<string>();

        var spf = SpfRecord.Parse("contoso.test", new[] { "google-site-verification=x", text }, warnings);

        Assert.Equal(text, spf!.Record);
        Assert.Equal(all, spf.AllMechanism);
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("v=spf1 +all", "+all")]
    [InlineData("v=spf1 all", "all")]
    public void SpfThatAuthorisesEveryHostIsKeptWithAWarning(string text, string all)
    {
        var warnings = new List<string>();

        var spf = SpfRecord.Parse("contoso.test", new[] { text }, warnings);

        Assert.Equal(all, spf!.AllMechanism);
        Assert.Equal(new[] { $"The SPF record of contoso.test ends with {all}: it authorises every host in the world to send as contoso.test." }, warnings);
    }

    [Fact]
    public void OnlyTheExactVersionTagCounts()
    {
        var warnings = new List<string>();

        Assert.Null(SpfRecord.Parse("contoso.test", new[] { "v=spf10 -all", "xv=spf1 -all" }, warnings));
        Assert.Null(DmarcPolicy.Parse("contoso.test", new[] { "v=DMARC1x; p=reject" }, warnings));
        Assert.Empty(warnings);
    }

    [Fact]
    public void SeveralRecordsOfOneKindGiveNoneAndAWarning()
    {
        var warnings = new List<string>();

        Assert.Null(DmarcPolicy.Parse("contoso.test", new[] { "v=DMARC1; p=reject", "v=DMARC1; p=none" }, warnings));
        Assert.Null(TlsReportingPolicy.Parse("contoso.test", new[] { "v=TLSRPTv1; rua=mailto:a@contoso.test", "v=TLSRPTv1; rua=mailto:b@contoso.test" }, warnings));
        Assert.Null(MtaStsPolicy.Parse("contoso.test", new[] { "v=STSv1; id=1", "v=STSv1; id=2" }, warnings));

        Assert.Equal(
            new[]
            {
                "contoso.test publishes 2 DMARC records; receivers then apply no DMARC policy (RFC 7489 section 6.6.3).",
                "contoso.test publishes 2 TLS-RPT records; senders then send no reports (RFC 8460 section 3).",
                "contoso.test publishes 2 _mta-sts records; senders then treat it as having no MTA-STS policy (RFC 8461 section 3.1).",
            },
            warnings);
    }

    [Fact]
    public void DmarcTagsAreReadCaseInsensitivelyTheFirstOccurrenceWinning()
    {
        var warnings = new List<string>();

        var dmarc = DmarcPolicy.Parse("contoso.test", new[] { "v=DMARC1; P=Quarantine; p=none; SP=Reject; rua=mailto:a@contoso.test, mailto:b@contoso.test" }, warnings);

        Assert.Equal("quarantine", dmarc!.Policy);
        Assert.Equal("reject", dmarc.SubdomainPolicy);
        Assert.Equal(new[] { "mailto:a@contoso.test", "mailto:b@contoso.test" }, dmarc.ReportUris);
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("v=STSv1; id=20260101T000000", "20260101T000000", null)]
    [InlineData("v=STSv1;id=abc", "abc", null)]
    [InlineData("v=STSv1; id=2026-01-01", null, "not fetched: the _mta-sts record is invalid")]
    [InlineData("v=STSv1; id=123456789012345678901234567890123", null, "not fetched: the _mta-sts record is invalid")]
    public void AnMtaStsRecordAnnouncesAPolicyOnlyWithAValidId(string text, string? id, string? fetchError)
    {
        var warnings = new List<string>();

        var policy = MtaStsPolicy.Parse("contoso.test", new[] { text }, warnings)!;

        Assert.Equal(id, policy.Id);
        Assert.Equal(fetchError, policy.FetchError);
        Assert.False(policy.IsFetched);
        Assert.Equal(id is null ? 1 : 0, warnings.Count);
    }

    [Fact]
    public void APolicyFileGivesModePatternsAndMaxAgeAndIsJudgedAgainstTheMxHosts()
    {
        var announced = MtaStsPolicy.Parse("contoso.test", new[] { "v=STSv1; id=1" }, new List<string>())!;
        var warnings = new List<string>();

        var policy = announced.WithPolicyFile(
            "contoso.test",
            "version: STSv1\nmode: enforce\nmx: MAIL.contoso.test\nmx: *.backup.contoso.test\nmax_age: 86400\n",
            new[] { "mail.contoso.test", "mx1.backup.contoso.test", "mx1.eu.backup.contoso.test" },
            warnings);

        Assert.True(policy.IsFetched);
        Assert.Equal("enforce", policy.Mode);
        Assert.Equal(new[] { "mail.contoso.test", "*.backup.contoso.test" }, policy.MxPatterns);
        Assert.Equal(86400, policy.MaxAge);
        Assert.Equal(new[] { "The MX mx1.eu.backup.contoso.test matches no mx pattern of the MTA-STS policy of contoso.test: senders enforcing the policy will not deliver to it." }, warnings);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("31557601")]
    [InlineData("1e6")]
    [InlineData("")]
    public void AMaxAgeOutsideTheRfcRangeIsReported(string maxAge)
    {
        var warnings = new List<string>();

        MtaStsPolicy.Parse("contoso.test", new[] { "v=STSv1; id=1" }, new List<string>())!
            .WithPolicyFile("contoso.test", $"version: STSv1\nmode: none\nmax_age: {maxAge}\n", Array.Empty<string>(), warnings);

        Assert.Equal(new[] { "The MTA-STS policy of contoso.test has no valid max_age (0 to 31557600 seconds)." }, warnings);
    }

    [Fact]
    public void UnauthenticatedTlsaRecordsAndFailedLookupsWarn()
    {
        var records = new[] { new TlsaAssociation(3, 1, 1, "00") };

        Assert.Empty(new TlsaRecordSet("_25._tcp.mx.contoso.test", records, isAuthenticated: true).WarningsFor("mx.contoso.test"));
        Assert.Empty(new TlsaRecordSet("_25._tcp.mx.contoso.test", Array.Empty<TlsaAssociation>(), isAuthenticated: false).WarningsFor("mx.contoso.test"));
        Assert.Equal(
            new[] { "mx.contoso.test publishes TLSA records but the answer was not DNSSEC-authenticated: senders ignore them (RFC 7672)." },
            new TlsaRecordSet("_25._tcp.mx.contoso.test", records, isAuthenticated: false).WarningsFor("mx.contoso.test"));
        Assert.Equal(
            new[] { "DANE status unknown." },
            new TlsaRecordSet("_25._tcp.mx.contoso.test", Array.Empty<TlsaAssociation>(), false, "DANE status unknown.").WarningsFor("mx.contoso.test"));
    }
}
