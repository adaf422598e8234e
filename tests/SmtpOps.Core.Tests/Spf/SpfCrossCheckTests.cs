using System.Linq;
using System.Net;
using System.Threading.Tasks;
using SmtpOps.Spf;
using Xunit;

namespace SmtpOps.Tests.Spf;

/// <summary>
/// The cases of issue 25 on a zone served by the DNS test server on 127.0.0.1, checked by SmtpOps through its
/// production DNS client and by pyspf: both must give the expected result.
/// </summary>
public sealed class SpfCrossCheckTests : IClassFixture<SpfZoneFixture>
{
    readonly SpfZoneFixture zone;

    public SpfCrossCheckTests(SpfZoneFixture zone) => this.zone = zone;

    public static TheoryData<int> CaseNumbers() => new(Enumerable.Range(0, SpfZoneFixture.Cases.Length));

    [Theory]
    [MemberData(nameof(CaseNumbers))]
    public async Task SmtpOps_and_pyspf_agree(int number)
    {
        var (domain, address, expected, section, pyspfDiffers) = SpfZoneFixture.Cases[number];
        var evaluator = new SpfEvaluator(new DnsClientSpfResolver(zone.Options()));

        var ours = await evaluator.CheckMailFromAsync(IPAddress.Parse(address), "relay@" + domain, "relay.example");
        var reference = (await zone.PyspfResultsAsync())[number];

        var detail = $"{domain} {address}: SmtpOps {ours.Result}, pyspf {reference.Result}; errors: {string.Join("; ", ours.Errors)}; tree:\n{ours.Tree}";
        Assert.True((pyspfDiffers ?? expected) == reference.Result, "pyspf: " + detail);
        Assert.True(expected == ours.Result.ToString()!.ToLowerInvariant(), "SmtpOps: " + detail);
        if (section is null)
        {
            Assert.Empty(ours.Errors);
        }
        else
        {
            Assert.Equal(section, ours.Errors.Single().Section);
        }
    }

    [Fact]
    public async Task The_explanation_of_a_fail_is_the_domains_exp_text_as_pyspf_gives_it()
    {
        var evaluator = new SpfEvaluator(new DnsClientSpfResolver(zone.Options()));

        var ours = await evaluator.CheckMailFromAsync(IPAddress.Parse("198.51.100.10"), "relay@macro.spf.test", "relay.example");
        var reference = (await zone.PyspfResultsAsync())[System.Array.FindIndex(SpfZoneFixture.Cases, c => c is { Domain: "macro.spf.test", Address: "198.51.100.10" })];

        Assert.Equal("198.51.100.10 may not send for macro.spf.test", ours.Explanation);
        Assert.Equal(reference.Explanation, ours.Explanation);
    }

    [Theory]
    [InlineData("many.spf.test", 11, 0)]
    [InlineData("ten.spf.test", 10, 0)]
    [InlineData("void2.spf.test", 2, 2)]
    [InlineData("void3.spf.test", 3, 3)]
    public async Task Counts_lookups_and_void_lookups_without_an_address(string domain, int lookups, int voids)
    {
        var evaluator = new SpfEvaluator(new DnsClientSpfResolver(zone.Options()));

        var inspected = await evaluator.InspectAsync(domain);

        Assert.Equal(lookups, inspected.LookupCount);
        Assert.Equal(voids, inspected.VoidLookupCount);
        Assert.Equal(lookups > SpfEvaluation.LookupLimit || voids > SpfEvaluation.VoidLookupLimit ? SpfResult.PermError : null, inspected.Result);
    }

    [Fact]
    public async Task The_tree_follows_includes_and_redirects()
    {
        var evaluator = new SpfEvaluator(new DnsClientSpfResolver(zone.Options()));

        var inspected = await evaluator.InspectAsync("inc.spf.test");

        Assert.Equal(
            "inc.spf.test: v=spf1 include:_spf.inc.spf.test mx -all\n"
            + "  include:_spf.inc.spf.test: v=spf1 ip4:198.51.100.0/24 include:_spf2.inc.spf.test ~all\n"
            + "    include:_spf2.inc.spf.test: v=spf1 ip6:2001:db8:5::/48 -all",
            inspected.Tree.ToString().Replace("\r\n", "\n", System.StringComparison.Ordinal));
        Assert.Equal(3, inspected.LookupCount);
        Assert.Null(inspected.Result);
    }
}
