using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Dns;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>MxResolver against a real DNS server on 127.0.0.1: each case asserts the exact plan or error.</summary>
public sealed class MxResolverTests : IClassFixture<DnsZoneFixture>
{
    private readonly DnsZoneFixture dns;

    public MxResolverTests(DnsZoneFixture dns) => this.dns = dns;

    private static string[] Addresses(MailExchanger exchanger) => exchanger.Addresses.Select(a => a.ToString()).ToArray();

    [Fact]
    public async Task SeveralMxAreOrderedByPreferenceWithTheirAddresses()
    {
        var plan = await new MxResolver(dns.Options()).ResolveAsync("contoso.test");

        Assert.Equal("contoso.test", plan.Domain);
        Assert.Equal("contoso.test", plan.CanonicalName);
        Assert.True(plan.AcceptsMail);
        Assert.Equal(new[] { ("mx1.contoso.test", 10), ("mx2.contoso.test", 10), ("backup.contoso.test", 20) }, plan.Exchangers.Select(e => (e.Exchange, e.Preference)));
        Assert.Equal(new[] { "192.0.2.11", "2001:db8::11" }, Addresses(plan.Exchangers[0]));
        Assert.Equal(new[] { "192.0.2.12" }, Addresses(plan.Exchangers[1]));
        Assert.Equal(new[] { "192.0.2.20" }, Addresses(plan.Exchangers[2]));
        Assert.All(plan.Exchangers, e =>
        {
            Assert.Equal("contoso.test", e.Domain);
            Assert.False(e.IsImplicit);
            Assert.False(e.IsNullMx);
            Assert.Equal(3600, e.Ttl);
            Assert.Empty(e.Warnings);
            Assert.Null(e.Tlsa);
            Assert.Null(e.Policy);
        });
    }

    [Fact]
    public async Task WithoutRandomizationEqualPreferencesKeepAStableOrder()
    {
        var resolver = new MxResolver(dns.Options(randomize: false));
        var orders = new HashSet<string>();
        for (var run = 0; run < 10; run++)
        {
            var plan = await resolver.ResolveAsync("contoso.test");
            orders.Add(string.Join(",", plan.Exchangers.Select(e => e.Exchange)));
        }

        Assert.Equal(new[] { "mx1.contoso.test,mx2.contoso.test,backup.contoso.test" }, orders);
    }

    [Fact]
    public async Task EqualPreferencesAreRandomisedButNeverOvertakeALowerPreference()
    {
        var resolver = new MxResolver(dns.Options(randomize: true) with { Random = new Random(20260101), UseCache = true });
        var orders = new HashSet<string>();
        for (var run = 0; run < 40; run++)
        {
            var plan = await resolver.ResolveAsync("contoso.test");
            orders.Add(string.Join(",", plan.Exchangers.Select(e => e.Exchange)));
        }

        // With this seed both orders occur (deterministic, not flaky); the backup host is always last.
        Assert.Equal(
            new[] { "mx1.contoso.test,mx2.contoso.test,backup.contoso.test", "mx2.contoso.test,mx1.contoso.test,backup.contoso.test" },
            orders.OrderBy(o => o, StringComparer.Ordinal));
    }

    [Fact]
    public async Task ADomainWithoutMxButWithAddressesIsItsOwnImplicitMx()
    {
        var plan = await new MxResolver(dns.Options()).ResolveAsync("implicit.test");

        var only = Assert.Single(plan.Exchangers);
        Assert.Equal("implicit.test", only.Exchange);
        Assert.Equal(0, only.Preference);
        Assert.True(only.IsImplicit);
        Assert.False(only.IsNullMx);
        Assert.True(plan.IsImplicit);
        Assert.Equal(new[] { "192.0.2.30", "2001:db8::30" }, Addresses(only));
        Assert.Equal(600, only.Ttl);
        Assert.Equal(new[] { "implicit.test has no MX records: mail goes to the domain's own address (implicit MX, RFC 5321 section 5.1)." }, only.Warnings);
    }

    [Fact]
    public async Task ANullMxSaysTheDomainAcceptsNoMailWithoutAnError()
    {
        var plan = await new MxResolver(dns.Options()).ResolveAsync("nullmx.test");

        var only = Assert.Single(plan.Exchangers);
        Assert.True(only.IsNullMx);
        Assert.False(plan.AcceptsMail);
        Assert.Equal(".", only.Exchange);
        Assert.Equal(0, only.Preference);
        Assert.Empty(only.Addresses);
        Assert.Equal(86400, only.Ttl);
        Assert.Equal(new[] { "nullmx.test accepts no mail: it publishes a null MX (RFC 7505)." }, only.Warnings);
    }

    [Fact]
    public async Task AnExchangeThatIsACnameIsFollowedAndFlagged()
    {
        var plan = await new MxResolver(dns.Options()).ResolveAsync("cnamemx.test");

        var only = Assert.Single(plan.Exchangers);
        Assert.Equal("mail.cnamemx.test", only.Exchange);
        Assert.Equal(new[] { "192.0.2.40" }, Addresses(only));
        Assert.Equal(new[] { "The MX target mail.cnamemx.test is an alias (CNAME): RFC 2181 section 10.3 forbids that; some senders refuse it." }, only.Warnings);
    }

    [Fact]
    public async Task ACnameAtTheDomainIsFollowedToItsMx()
    {
        var plan = await new MxResolver(dns.Options()).ResolveAsync("alias.test");

        Assert.Equal("alias.test", plan.Domain);
        Assert.Equal("contoso.test", plan.CanonicalName);
        Assert.Equal(new[] { "mx1.contoso.test", "mx2.contoso.test", "backup.contoso.test" }, plan.Exchangers.Select(e => e.Exchange));
        Assert.All(plan.Exchangers, e =>
        {
            Assert.Equal("alias.test", e.Domain);
            Assert.Equal(new[] { "alias.test is an alias (CNAME) of contoso.test: its mail exchangers were taken from contoso.test." }, e.Warnings);
        });
    }

    [Fact]
    public async Task ExchangesWithoutAddressesStayInThePlanWithAWarning()
    {
        var plan = await new MxResolver(dns.Options()).ResolveAsync("noaddr.test");

        Assert.Equal(new[] { ("empty.noaddr.test", 10), ("ghost.noaddr.test", 20) }, plan.Exchangers.Select(e => (e.Exchange, e.Preference)));
        Assert.All(plan.Exchangers, e => Assert.Empty(e.Addresses));
        Assert.Equal(new[] { "The MX target empty.noaddr.test has no address (A/AAAA) records: senders skip it." }, plan.Exchangers[0].Warnings);
        Assert.Equal(new[] { "The MX target ghost.noaddr.test does not exist (NXDOMAIN): senders skip it." }, plan.Exchangers[1].Warnings);
    }

    [Fact]
    public async Task AnExchangeWhoseAddressLookupTimesOutIsDeferredNotDropped()
    {
        var plan = await new MxResolver(dns.Options() with { Timeout = TimeSpan.FromSeconds(1), Retries = 0 }).ResolveAsync("slowmx.test");

        Assert.Equal(new[] { "silent.slowmx.test", "fast.slowmx.test" }, plan.Exchangers.Select(e => e.Exchange));
        Assert.Empty(plan.Exchangers[0].Addresses);
        Assert.Equal(
            new[]
            {
                "The A lookup of silent.slowmx.test failed temporarily (timeout): a sender defers this host.",
                "The AAAA lookup of silent.slowmx.test failed temporarily (timeout): a sender defers this host.",
            },
            plan.Exchangers[0].Warnings);
        Assert.Equal(new[] { "192.0.2.50" }, Addresses(plan.Exchangers[1]));
    }

    [Fact]
    public async Task NxdomainIsAPermanentNotFound()
    {
        var error = await Assert.ThrowsAsync<DnsResolutionException>(() => new MxResolver(dns.Options()).ResolveAsync("missing.test"));

        Assert.Equal(DnsFailureKind.NotFound, error.Kind);
        Assert.False(error.IsTemporary);
        Assert.Equal("missing.test", error.Domain);
        Assert.Equal("NXDOMAIN", error.ResponseCode);
        Assert.Equal("MX", error.QueryType);
        Assert.StartsWith("The domain missing.test does not exist (NXDOMAIN", error.Message);
    }

    [Theory]
    [InlineData("servfail.test", "SERVFAIL")]
    [InlineData("refused.test", "REFUSED")]
    public async Task ServerFailureAndRefusedAreTemporaryNeverNoMx(string domain, string code)
    {
        var error = await Assert.ThrowsAsync<DnsResolutionException>(() => new MxResolver(dns.Options()).ResolveAsync(domain));

        Assert.Equal(DnsFailureKind.Temporary, error.Kind);
        Assert.True(error.IsTemporary);
        Assert.Equal(code, error.ResponseCode);
        Assert.Equal(domain, error.Domain);
        Assert.Contains("temporary failure", error.Message);
        Assert.Contains($"This does not mean that {domain} has no MX.", error.Message);
    }

    [Fact]
    public async Task AServerThatDoesNotAnswerTimesOutAsTemporaryWithinTheTimeout()
    {
        var options = dns.Options() with { Timeout = TimeSpan.FromMilliseconds(500), Retries = 1 };
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DnsResolutionException>(() => new MxResolver(options).ResolveAsync("silent.test"));

        clock.Stop();
        Assert.Equal(DnsFailureKind.Timeout, error.Kind);
        Assert.True(error.IsTemporary);
        Assert.Null(error.ResponseCode);
        // Two tries of 500 ms, plus scheduling slack on a loaded machine.
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task ADomainWithNeitherMxNorAddressHasNoMailServer()
    {
        var error = await Assert.ThrowsAsync<DnsResolutionException>(() => new MxResolver(dns.Options()).ResolveAsync("nothing.test"));

        Assert.Equal(DnsFailureKind.NoMailServer, error.Kind);
        Assert.False(error.IsTemporary);
    }

    [Theory]
    [InlineData("Ops Team <ops@Contoso.TEST>")]
    [InlineData("ops@contoso.test")]
    [InlineData("CONTOSO.test.")]
    public async Task AnAddressOrAnUnnormalisedNameResolvesItsDomain(string input)
    {
        var plan = await new MxResolver(dns.Options()).ResolveAsync(input);

        Assert.Equal("contoso.test", plan.Domain);
        Assert.Equal(3, plan.Exchangers.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a domain")]
    [InlineData("ops@[192.0.2.1]")]
    [InlineData("-bad-.test")]
    public async Task InvalidInputIsRefusedBeforeAnyQuery(string input)
    {
        var before = dns.Server.QueryCount;

        var error = await Assert.ThrowsAsync<DnsResolutionException>(() => new MxResolver(dns.Options()).ResolveAsync(input));

        Assert.Equal(DnsFailureKind.InvalidName, error.Kind);
        Assert.Equal(before, dns.Server.QueryCount);
    }

    [Fact]
    public async Task TcpOnlyGivesTheSamePlan()
    {
        var plan = await new MxResolver(dns.Options() with { TcpOnly = true }).ResolveAsync("contoso.test");

        Assert.Equal(new[] { "mx1.contoso.test", "mx2.contoso.test", "backup.contoso.test" }, plan.Exchangers.Select(e => e.Exchange));
    }

    [Fact]
    public async Task OnlyTheConfiguredServerIsAskedNeverAFallback()
    {
        // A closed port on 127.0.0.1: the lookup fails, it does not quietly go elsewhere.
        var closed = new IPEndPoint(IPAddress.Loopback, 9);
        var resolver = new MxResolver(new MxResolverOptions { Servers = new[] { closed }, Timeout = TimeSpan.FromMilliseconds(300), Retries = 0 });

        Assert.Equal(new[] { closed }, resolver.NameServers);
        var error = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.ResolveAsync("contoso.test"));
        Assert.True(error.IsTemporary);
    }

    [Fact]
    public async Task ThousandsOfDomainsResolveConcurrentlyThroughOneResolver()
    {
        var zone = new TestDnsZone();
        for (var i = 0; i < 1000; i++)
        {
            zone.Mx($"d{i}.bulk.test", 10, $"mx.d{i}.bulk.test").A($"mx.d{i}.bulk.test", $"198.51.{i / 250}.{i % 250}");
        }

        await using var server = await TestDnsServer.StartAsync(zone);
        var resolver = new MxResolver(new MxResolverOptions { Servers = new[] { server.EndPoint }, Timeout = TimeSpan.FromSeconds(2) });
        using var throttle = new SemaphoreSlim(32);

        var plans = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            await throttle.WaitAsync();
            try
            {
                return await resolver.ResolveAsync($"d{i}.bulk.test");
            }
            finally
            {
                throttle.Release();
            }
        }));

        for (var i = 0; i < 1000; i++)
        {
            var exchanger = Assert.Single(plans[i].Exchangers);
            Assert.Equal($"mx.d{i}.bulk.test", exchanger.Exchange);
            Assert.Equal($"198.51.{i / 250}.{i % 250}", Assert.Single(exchanger.Addresses).ToString());
        }
    }
}
