using System;
using System.Linq;
using System.Threading.Tasks;
using SmtpOps.Dns;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// Fetching MTA-STS policies (RFC 8461) over real HTTPS: the resolver reads the _mta-sts record and the MX hosts
/// from the test DNS server, fetches https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt from the local HTTPS
/// server through the injected handler, and judges the policy against the MX hosts.
/// </summary>
public sealed class MtaStsFetchTests : IClassFixture<MtaStsFixture>
{
    private readonly MtaStsFixture sts;

    public MtaStsFetchTests(MtaStsFixture sts) => this.sts = sts;

    private async Task<MailDomainPolicy> PolicyOf(string domain, MxResolverOptions? options = null)
    {
        var plan = await new MxResolver(options ?? sts.Options()).ResolveAsync(domain);
        return Assert.IsType<MailDomainPolicy>(plan.Policy);
    }

    [Fact]
    public async Task AnEnforcedPolicyWhosePatternsMatchEveryMxIsFetchedWithoutWarnings()
    {
        var policy = await PolicyOf("enforce.test");

        var mtaSts = policy.MtaSts!;
        Assert.True(mtaSts.IsFetched);
        Assert.Null(mtaSts.FetchError);
        Assert.Equal("20261201T000000", mtaSts.Id);
        Assert.Equal("enforce", mtaSts.Mode);
        Assert.Equal(new[] { "*.mail.enforce.test", "backup.enforce.test" }, mtaSts.MxPatterns);
        Assert.Equal(604800, mtaSts.MaxAge);
        Assert.Empty(policy.Warnings);
        Assert.Contains("mta-sts.enforce.test /.well-known/mta-sts.txt", sts.Web.Requests);
    }

    [Fact]
    public async Task MxHostsThatNoPatternMatchAreNamedOneWildcardLabelOnly()
    {
        var policy = await PolicyOf("mismatch.test");

        // *.mismatch.test matches mx.mismatch.test, not a.b.mismatch.test (two labels) nor another domain's host.
        Assert.True(policy.MtaSts!.IsFetched);
        Assert.Equal(
            new[]
            {
                "The MX a.b.mismatch.test matches no mx pattern of the MTA-STS policy of mismatch.test: senders enforcing the policy will not deliver to it.",
                "The MX mx.hosting.test matches no mx pattern of the MTA-STS policy of mismatch.test: senders enforcing the policy will not deliver to it.",
            },
            policy.Warnings);
    }

    [Fact]
    public async Task ATestingPolicyIsJudgedAgainstTheMxHostsToo()
    {
        var policy = await PolicyOf("testing.test");

        Assert.Equal("testing", policy.MtaSts!.Mode);
        Assert.Equal(new[] { "The MX mx.elsewhere.test matches no mx pattern of the MTA-STS policy of testing.test: senders enforcing the policy will not deliver to it." }, policy.Warnings);
    }

    [Fact]
    public async Task ModeNoneAsksNothingOfTheMxHosts()
    {
        var policy = await PolicyOf("none.test");

        Assert.True(policy.MtaSts!.IsFetched);
        Assert.Equal("none", policy.MtaSts.Mode);
        Assert.Equal(new[] { "mx.other.test" }, policy.MtaSts.MxPatterns);
        Assert.Empty(policy.Warnings);
    }

    [Fact]
    public async Task APageThatIsNoPolicyFileIsReportedFieldByField()
    {
        var policy = await PolicyOf("badfile.test");

        Assert.False(policy.MtaSts!.IsFetched);
        Assert.Null(policy.MtaSts.Mode);
        Assert.Null(policy.MtaSts.MaxAge);
        Assert.Empty(policy.MtaSts.MxPatterns);
        Assert.Equal(
            new[]
            {
                "The MTA-STS policy of badfile.test lacks 'version: STSv1'.",
                "The MTA-STS policy of badfile.test has no valid mode (enforce, testing or none): ''.",
                "The MTA-STS policy of badfile.test has no valid max_age (0 to 31557600 seconds).",
            },
            policy.Warnings);
    }

    [Fact]
    public async Task AMaxAgeAboveAYearIsReported()
    {
        var policy = await PolicyOf("maxage.test");

        Assert.Equal(99999999, policy.MtaSts!.MaxAge);
        Assert.Equal(new[] { "The MTA-STS policy of maxage.test has no valid max_age (0 to 31557600 seconds)." }, policy.Warnings);
    }

    [Theory]
    [InlineData("notfound.test", "https://mta-sts.notfound.test/.well-known/mta-sts.txt answered 404 Not Found")]
    [InlineData("error.test", "https://mta-sts.error.test/.well-known/mta-sts.txt answered 503 Service Unavailable")]
    [InlineData("redirect.test", "https://mta-sts.redirect.test/.well-known/mta-sts.txt answered 301 Moved Permanently")]
    public async Task AnHttpErrorOrARedirectIsAFetchErrorNotAPolicy(string domain, string error)
    {
        var policy = await PolicyOf(domain);

        Assert.False(policy.MtaSts!.IsFetched);
        Assert.Equal(error, policy.MtaSts.FetchError);
        Assert.Equal(new[] { $"The MTA-STS policy of {domain} could not be fetched: {error}." }, policy.Warnings);
    }

    [Fact]
    public async Task APolicyReachedThroughARedirectIsRefusedEvenWhenTheHandlerFollowsIt()
    {
        var policy = await PolicyOf("redirect.test", sts.Options(following: true));

        // The handler fetched enforce.test's policy after the 301; RFC 8461 section 3.3 forbids using it.
        Assert.Contains("mta-sts.enforce.test /.well-known/mta-sts.txt", sts.Web.Requests);
        Assert.False(policy.MtaSts!.IsFetched);
        Assert.Equal("https://mta-sts.redirect.test/.well-known/mta-sts.txt redirected to https://mta-sts.enforce.test/.well-known/mta-sts.txt, which RFC 8461 section 3.3 forbids", policy.MtaSts.FetchError);
        Assert.Empty(policy.MtaSts.MxPatterns);
    }

    [Fact]
    public async Task ASilentPolicyHostEndsWithinTheFetchTimeout()
    {
        var started = DateTime.UtcNow;

        var policy = await PolicyOf("silent.test", sts.Options() with { MtaStsFetchTimeout = TimeSpan.FromSeconds(1) });

        Assert.Equal("unreachable: https://mta-sts.silent.test/ did not answer within 1 s", policy.MtaSts!.FetchError);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ACertificateForAnotherNameIsRefused()
    {
        var policy = await PolicyOf("wrongcert.test");

        Assert.False(policy.MtaSts!.IsFetched);
        Assert.StartsWith("unreachable: ", policy.MtaSts.FetchError);
        Assert.Contains("RemoteCertificateNameMismatch", policy.MtaSts.FetchError);
        Assert.Empty(policy.MtaSts.MxPatterns);
    }

    [Fact]
    public async Task APolicyHostThatCannotBeReachedIsAFetchError()
    {
        var policy = await PolicyOf("refused.test");

        Assert.StartsWith("unreachable: ", policy.MtaSts!.FetchError);
        Assert.Single(policy.Warnings, w => w.StartsWith("The MTA-STS policy of refused.test could not be fetched: unreachable: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithFetchingDisabledNoRequestIsMade()
    {
        var before = sts.Web.Requests.Count(r => r.StartsWith("mta-sts.none.test ", StringComparison.Ordinal));

        var policy = await PolicyOf("none.test", sts.Options() with { FetchMtaStsPolicy = false });

        Assert.Equal(before, sts.Web.Requests.Count(r => r.StartsWith("mta-sts.none.test ", StringComparison.Ordinal)));
        Assert.Equal("not fetched (disabled)", policy.MtaSts!.FetchError);
        Assert.Equal("20261201T000000", policy.MtaSts.Id);
        Assert.Empty(policy.Warnings);
    }
}
