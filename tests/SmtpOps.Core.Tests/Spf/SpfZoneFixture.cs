using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using SmtpOps.Dns;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests.Spf;

/// <summary>The DNS test server on 127.0.0.1 with the SPF cases of issue 25: include, redirect, limits, macros.</summary>
public sealed class SpfZoneFixture : IAsyncLifetime
{
    public static TestDnsZone Zone()
    {
        var zone = new TestDnsZone()
            // include: the relay's network is authorised through an included record.
            .Mx("inc.spf.test", 10, "mx.inc.spf.test")
            .A("mx.inc.spf.test", "192.0.2.25")
            .Txt("inc.spf.test", "v=spf1 include:_spf.inc.spf.test mx -all")
            .Txt("_spf.inc.spf.test", "v=spf1 ip4:198.51.100.0/24 include:_spf2.inc.spf.test ~all")
            .Txt("_spf2.inc.spf.test", "v=spf1 ip6:2001:db8:5::/48 -all")
            // redirect to a name without SPF record: permerror (RFC 7208 6.1).
            .Mx("redirect.spf.test", 10, "mx.inc.spf.test")
            .Txt("redirect.spf.test", "v=spf1 redirect=nospf.spf.test")
            .Txt("nospf.spf.test", "google-site-verification=abc")
            // include of a name without SPF record: permerror (RFC 7208 5.2).
            .Txt("incnone.spf.test", "v=spf1 include:nospf.spf.test -all")
            // 11 terms that query DNS: permerror (RFC 7208 4.6.4); 10 are fine.
            .Mx("many.spf.test", 10, "mx.inc.spf.test")
            .Txt("many.spf.test", "v=spf1 " + string.Join(" ", Enumerable.Range(1, 11).Select(i => $"a:h{i}.spf.test")) + " -all")
            .Txt("ten.spf.test", "v=spf1 " + string.Join(" ", Enumerable.Range(1, 10).Select(i => $"a:h{i}.spf.test")) + " -all")
            // Over the limit through includes: 4 + 4 + 3 lookups.
            .Txt("deep.spf.test", "v=spf1 include:d1.spf.test include:d2.spf.test a:h1.spf.test -all")
            .Txt("d1.spf.test", "v=spf1 a:h2.spf.test a:h3.spf.test a:h4.spf.test include:d3.spf.test -all")
            .Txt("d2.spf.test", "v=spf1 a:h5.spf.test a:h6.spf.test a:h7.spf.test -all")
            .Txt("d3.spf.test", "v=spf1 a:h8.spf.test a:h9.spf.test ?all")
            // Void lookups: two are allowed, the third is a permerror (RFC 7208 4.6.4).
            .Txt("void2.spf.test", "v=spf1 a:gone1.spf.test a:gone2.spf.test ip4:198.51.100.7 -all")
            .Txt("void3.spf.test", "v=spf1 a:gone1.spf.test a:gone2.spf.test mx:gone3.spf.test ip4:198.51.100.7 -all")
            // Bad macros: an unknown macro letter, an unclosed macro, c outside an explanation (RFC 7208 7.1, 7.2).
            .Txt("macro1.spf.test", "v=spf1 exists:%{q}.spf.test -all")
            .Txt("macro2.spf.test", "v=spf1 exists:%{i.spf.test -all")
            .Txt("macro3.spf.test", "v=spf1 exists:%{c}.spf.test -all")
            // A good macro: exists:%{i}._allow... with an explanation on fail.
            .Txt("macro.spf.test", "v=spf1 exists:%{i}._allow.macro.spf.test -all exp=_exp.macro.spf.test")
            .A("198.51.100.9._allow.macro.spf.test", "127.0.0.2")
            .Txt("_exp.macro.spf.test", "%{i} may not send for %{d}")
            // Syntax error: an unknown mechanism.
            .Txt("syntax.spf.test", "v=spf1 ip4:198.51.100.1 foo:bar -all");
        for (var i = 1; i <= 11; i++)
        {
            zone.A($"h{i}.spf.test", $"192.0.2.{100 + i}");
        }

        return zone;
    }

    /// <summary>
    /// The cross-check cases: domain, client address, the expected result, the RFC 7208 section of the error, and
    /// pyspf's result where it differs (an unclosed macro: pyspf reads "%{i.spf.test" as no macro, RFC 7208 7.1's
    /// ABNF has no '%' outside macro-expand, so it is a syntax error).
    /// </summary>
    public static readonly (string Domain, string Address, string Expected, string? Section, string? Pyspf)[] Cases =
    [
        ("inc.spf.test", "198.51.100.20", "pass", null, null), // ip4 in an include
        ("inc.spf.test", "2001:db8:5::1", "pass", null, null), // ip6 in an include of an include
        ("inc.spf.test", "192.0.2.25", "pass", null, null), // mx after an include that did not match
        ("inc.spf.test", "203.0.113.1", "fail", null, null), // no match anywhere: the top record's -all
        ("redirect.spf.test", "198.51.100.20", "permerror", "6.1", null),
        ("incnone.spf.test", "198.51.100.20", "permerror", "5.2", null),
        ("many.spf.test", "203.0.113.1", "permerror", "4.6.4", null),
        ("ten.spf.test", "203.0.113.1", "fail", null, null),
        ("deep.spf.test", "203.0.113.1", "permerror", "4.6.4", null),
        ("void2.spf.test", "198.51.100.7", "pass", null, null),
        ("void3.spf.test", "198.51.100.7", "permerror", "4.6.4", null),
        ("macro1.spf.test", "198.51.100.9", "permerror", "7.1", null),
        ("macro2.spf.test", "198.51.100.9", "permerror", "7.1", "fail"),
        ("macro3.spf.test", "198.51.100.9", "permerror", "7.1", null),
        ("macro.spf.test", "198.51.100.9", "pass", null, null),
        ("macro.spf.test", "198.51.100.10", "fail", null, null),
        ("syntax.spf.test", "198.51.100.1", "permerror", "5", null),
    ];

    Task<IReadOnlyList<(string Result, string Explanation)>>? pyspf;

    public TestDnsServer Server { get; private set; } = null!;

    /// <summary>pyspf's answers to <see cref="Cases"/>, in order: one Python process for all.</summary>
    public Task<IReadOnlyList<(string Result, string Explanation)>> PyspfResultsAsync() =>
        pyspf ??= Pyspf.CheckAsync(Server.Port, Cases.Select(c => (c.Address, "relay@" + c.Domain, "relay.example")).ToList());

    public MxResolverOptions Options() => new()
    {
        Servers = new[] { Server.EndPoint },
        Timeout = TimeSpan.FromSeconds(2),
        Retries = 1,
        Randomize = false,
        UseCache = false,
    };

    public async Task InitializeAsync() => Server = await TestDnsServer.StartAsync(Zone());

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
