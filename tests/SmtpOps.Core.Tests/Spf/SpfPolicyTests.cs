using System.Linq;
using System.Threading.Tasks;
using SmtpOps.Dns;
using SmtpOps.Spf;
using Xunit;

namespace SmtpOps.Tests.Spf;

/// <summary>Resolve-MailExchanger -Policy evaluates the domain's SPF records, not only reads them.</summary>
public sealed class SpfPolicyTests : IClassFixture<SpfZoneFixture>
{
    readonly SpfZoneFixture zone;

    public SpfPolicyTests(SpfZoneFixture zone) => this.zone = zone;

    [Fact]
    public async Task A_record_over_the_lookup_limit_is_a_permerror_with_the_count_and_the_section()
    {
        var resolver = new MxResolver(zone.Options() with { IncludePolicy = true, FetchMtaStsPolicy = false });

        var plan = await resolver.ResolveAsync("many.spf.test");

        var policy = plan.Exchangers.Single().Policy!;
        Assert.NotNull(policy.Spf);
        Assert.Equal(SpfResult.PermError, policy.SpfEvaluation!.Result);
        Assert.Equal(11, policy.SpfEvaluation.LookupCount);
        Assert.Equal("4.6.4", policy.SpfEvaluation.Errors.Single().Section);
        Assert.Contains(policy.Warnings, w => w.StartsWith("SPF permerror at many.spf.test (a:h11.spf.test): more than 10 terms", System.StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_redirect_to_a_name_without_SPF_is_reported()
    {
        var resolver = new MxResolver(zone.Options() with { IncludePolicy = true, FetchMtaStsPolicy = false });

        var plan = await resolver.ResolveAsync("redirect.spf.test");

        var evaluation = plan.Exchangers.Single().Policy!.SpfEvaluation!;
        Assert.Equal(SpfResult.PermError, evaluation.Result);
        Assert.Equal("6.1", evaluation.Errors.Single().Section);
        Assert.Equal("redirect=nospf.spf.test", evaluation.Tree.Children.Single().Via);
    }

    [Fact]
    public async Task A_good_record_has_its_tree_and_counts_and_no_error()
    {
        var resolver = new MxResolver(zone.Options() with { IncludePolicy = true, FetchMtaStsPolicy = false });

        var plan = await resolver.ResolveAsync("inc.spf.test");

        var evaluation = plan.Exchangers.Single().Policy!.SpfEvaluation!;
        Assert.Null(evaluation.Result);
        Assert.Empty(evaluation.Errors);
        Assert.Equal(3, evaluation.LookupCount);
        Assert.Equal("include:_spf2.inc.spf.test", evaluation.Tree.Children.Single().Children.Single().Via);
    }
}
