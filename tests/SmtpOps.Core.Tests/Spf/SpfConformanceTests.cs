using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using SmtpOps.Spf;
using Xunit;

namespace SmtpOps.Tests.Spf;

/// <summary>
/// Every scenario of the openspf RFC 7208 test suite (release 2014.04) against <see cref="SpfEvaluator"/>,
/// each over its own zone in memory. The suite comes from Debian's python3-spf (installed by the test rig);
/// without it the test fails and says what to install.
/// </summary>
public sealed class SpfConformanceTests
{
    // Deliberate differences from the suite, each argued in README.md: the scenario and the explanation we give.
    // %{i} of an IPv6 address: lower-case nibbles as in RFC 7208 section 7.4's example; the suite (and pyspf) expect
    // upper case. DNS names compare without case, so only the explanation text differs.
    static readonly IReadOnlyDictionary<string, string> Differences = new Dictionary<string, string>
    {
        ["v-macro-ip6"] = "cafe:babe::1 is queried as 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa",
    };

    public static IEnumerable<object[]> ScenarioIds() => SpfTestSuite.IsInstalled
        ? SpfTestSuite.Scenarios.Keys.OrderBy(k => k, System.StringComparer.Ordinal).Select(k => new object[] { k })
        : new[] { new object[] { "(suite not installed)" } };

    [Fact]
    public void The_suite_is_installed_and_complete()
    {
        Assert.True(SpfTestSuite.IsInstalled, $"{SpfTestSuite.Path} is missing: install Debian's python3-spf (tests/rig/debian-packages.txt; build.ps1 test installs it).");
        Assert.True(SpfTestSuite.Scenarios.Count >= 150, $"only {SpfTestSuite.Scenarios.Count} scenarios read from {SpfTestSuite.Path}");
    }

    [Theory]
    [MemberData(nameof(ScenarioIds))]
    public async Task Scenario(string id)
    {
        Assert.True(SpfTestSuite.IsInstalled, $"{SpfTestSuite.Path} is missing: install Debian's python3-spf.");
        var scenario = SpfTestSuite.Scenarios[id];
        var evaluator = new SpfEvaluator(scenario.Zone, new SpfEvaluatorOptions { DefaultExplanation = "DEFAULT" });

        var evaluation = await evaluator.CheckMailFromAsync(IPAddress.Parse(scenario.Host), scenario.MailFrom, scenario.Helo);

        var result = evaluation.Result!.Value.ToString().ToLowerInvariant();
        var detail = $"{id} ({scenario.Section}, RFC 7208 {scenario.Spec}): expected {string.Join(" or ", scenario.Results)}, got {result}; "
            + $"errors: {string.Join("; ", evaluation.Errors)}; tree:\n{evaluation.Tree}";
        Assert.True(scenario.Results.Contains(result), detail);
        if (Differences.TryGetValue(id, out var ours))
        {
            Assert.Equal(ours, evaluation.Explanation);
        }
        else if (scenario.Explanation is not null)
        {
            Assert.True(scenario.Explanation == evaluation.Explanation, $"{id}: explanation '{evaluation.Explanation}', expected '{scenario.Explanation}'");
        }
    }
}
