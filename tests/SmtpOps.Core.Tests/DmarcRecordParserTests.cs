using System.Collections.Generic;
using System.Linq;
using SmtpOps.Dns;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>The DMARC record's tags on their own (RFC 7489 section 6.3 and 6.4, DMARCbis section 4.7): text in, values and warnings out.</summary>
public sealed class DmarcRecordParserTests
{
    [Fact]
    public void EveryTagIsReadAndUnknownTagsAreIgnored()
    {
        var warnings = new List<string>();

        var dmarc = DmarcPolicy.Parse("contoso.test", new[] { "v=DMARC1; p=none; sp=Quarantine; np=reject; pct=50; adkim=s; aspf=S; fo=1:d; ri=3600; rf=afrf; psd=n; t=y; ruf=mailto:f@contoso.test!500k, https://reports.contoso.test/ruf; future=anything" }, warnings)!;

        Assert.Equal(("none", "quarantine", "reject"), (dmarc.Policy, dmarc.SubdomainPolicy, dmarc.NonExistentSubdomainPolicy));
        Assert.Equal((50, "s", "s", "1:d"), (dmarc.Percentage, dmarc.DkimAlignment, dmarc.SpfAlignment, dmarc.FailureReportingOptions));
        Assert.Equal((3600L, "afrf", "n", true), (dmarc.ReportInterval, dmarc.ReportFormat, dmarc.PublicSuffix, dmarc.IsTestMode));
        Assert.Equal(new[] { "mailto:f@contoso.test!500k", "https://reports.contoso.test/ruf" }, dmarc.FailureReportUris);
        Assert.Equal(new long?[] { 500 * 1024, null }, dmarc.ReportDestinations.Select(d => d.MaxSize));
        Assert.Equal(new[] { "contoso.test", "reports.contoso.test" }, dmarc.ReportDestinations.Select(d => d.Domain));
        Assert.Equal(new[] { "The DMARC record of contoso.test lists ruf=https://reports.contoso.test/ruf: receivers only have to support mailto: (RFC 7489 section 6.2), most send nothing to https:." }, warnings);
    }

    [Fact]
    public void DefaultsApplyWhenTagsAreAbsent()
    {
        var dmarc = DmarcPolicy.Parse("contoso.test", new[] { "v=DMARC1; p=reject" }, new List<string>())!;

        Assert.Equal((100, "r", "r", "0", 86400L, "afrf", "u", false), (dmarc.Percentage, dmarc.DkimAlignment, dmarc.SpfAlignment, dmarc.FailureReportingOptions, dmarc.ReportInterval, dmarc.ReportFormat, dmarc.PublicSuffix, dmarc.IsTestMode));
        Assert.Empty(dmarc.ReportDestinations);
    }

    [Theory]
    [InlineData("np=block", "np=block, which is not none, quarantine or reject (DMARCbis section 4.7)")]
    [InlineData("aspf=relaxed", "aspf=relaxed, which is not r or s (RFC 7489 section 6.3)")]
    [InlineData("fo=0:0", "fo=0:0, which is not 0, 1, d or s, separated by colons (RFC 7489 section 6.3)")]
    [InlineData("ri=1d", "ri=1d, which is not a whole number of seconds (RFC 7489 section 6.3)")]
    [InlineData("rf=iodef", "rf=iodef, which is not afrf, the only failure report format defined (RFC 7489 section 6.3)")]
    [InlineData("psd=yes", "psd=yes, which is not y, n or u (DMARCbis section 4.7)")]
    [InlineData("t=1", "t=1, which is not y or n (DMARCbis section 4.7)")]
    [InlineData("pct=-1", "pct=-1, which is not an integer from 0 to 100 (RFC 7489 section 6.3)")]
    [InlineData("rua=dmarc@contoso.test", "rua=dmarc@contoso.test, which is not a URI (RFC 7489 section 6.4)")]
    [InlineData("rua=mailto:dmarc", "rua=mailto:dmarc, which is not a mailto: URI with one valid address (RFC 7489 section 6.2)")]
    [InlineData("ruf=ftp://reports.contoso.test", "ruf=ftp://reports.contoso.test: receivers only have to support mailto: (RFC 7489 section 6.2)")]
    [InlineData("rua=mailto:d@contoso.test!", "rua=mailto:d@contoso.test! with an invalid size limit '!'")]
    [InlineData("p reject", "'p reject', which is not a tag=value pair (RFC 7489 section 6.4)")]
    public void AnInvalidValueGivesAWarningNamingTheTagAndTheRfc(string tag, string expected)
    {
        var warnings = new List<string>();

        DmarcPolicy.Parse("contoso.test", new[] { "v=DMARC1; p=none; " + tag }, warnings);

        var warning = Assert.Single(warnings);
        Assert.Contains(expected, warning);
    }

    [Fact]
    public void TheVersionIsCaseSensitive()
    {
        var warnings = new List<string>();

        Assert.Null(DmarcPolicy.Parse("contoso.test", new[] { "v=dmarc1; p=reject" }, warnings));
        Assert.Equal(new[] { "The DMARC record of contoso.test starts with 'v=dmarc1': the version is case-sensitive and must be v=DMARC1 (RFC 7489 section 6.4); receivers ignore the record." }, warnings);
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject; t=y", "reject (p= of contoso.test); t=y: the owner is testing, receivers apply quarantine")]
    [InlineData("v=DMARC1; p=quarantine; pct=20", "quarantine (p= of contoso.test); pct=20: applied to 20% of failing mail only")]
    [InlineData("v=DMARC1; rua=mailto:d@contoso.test", "none: the record of contoso.test has no valid p= (or an invalid sp=/np=), receivers act as p=none because it has a valid rua= (RFC 7489 section 6.6.3)")]
    public void TheVerdictSaysWhatReceiversApply(string record, string verdict) =>
        Assert.Equal(verdict, DmarcPolicy.Parse("contoso.test", new[] { record }, new List<string>())!.Verdict);
}
