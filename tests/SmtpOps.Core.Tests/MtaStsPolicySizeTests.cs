using System;
using System.Threading.Tasks;
using SmtpOps.Dns;
using SmtpOps.Tests.Graph;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// An MTA-STS policy file is read up to 64 KiB: a larger one (declared so, or a body without a length that does not
/// end) makes the policy invalid, and this process's memory stays flat. Measures memory, so it runs alone.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class MtaStsPolicySizeTests : IClassFixture<MtaStsFixture>
{
    private const long MaxGrowth = 100L * 1024 * 1024;
    private readonly MtaStsFixture sts;

    public MtaStsPolicySizeTests(MtaStsFixture sts) => this.sts = sts;

    [Theory]
    [InlineData("oversized.test")]
    [InlineData("endless.test")]
    public async Task APolicyFileOverSixtyFourKibibytesIsInvalidAndNotHeldInMemory(string domain)
    {
        // Warm up (JIT, TLS, the handler's connection pool) so that the measurement is the large body.
        await new MxResolver(sts.Options()).ResolveAsync("enforce.test");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = PeakResidentSet.Reset();

        var plan = await new MxResolver(sts.Options()).ResolveAsync(domain);

        var growth = PeakResidentSet.GrowthSince(baseline);
        var mtaSts = Assert.IsType<MailDomainPolicy>(plan.Policy).MtaSts!;
        Assert.True(growth < MaxGrowth, $"peak resident set grew by {growth / (1024.0 * 1024):0.0} MB reading a {MtaStsFixture.OversizedPolicyLength / (1024 * 1024)} MiB policy file");
        Assert.False(mtaSts.IsFetched);
        Assert.Equal($"invalid: https://mta-sts.{domain}/.well-known/mta-sts.txt is larger than 64 KiB, which no real policy comes near (RFC 8461 leaves the limit to senders)", mtaSts.FetchError);
    }

    [Fact]
    public async Task APolicyFileOfExactlySixtyFourKibibytesIsRead()
    {
        var plan = await new MxResolver(sts.Options()).ResolveAsync("justfits.test");

        var mtaSts = Assert.IsType<MailDomainPolicy>(plan.Policy).MtaSts!;
        Assert.Null(mtaSts.FetchError);
        Assert.Equal("enforce", mtaSts.Mode);
        Assert.Equal(new[] { "mx.oversized.test" }, mtaSts.MxPatterns);
    }
}
