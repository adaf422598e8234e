using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using SmtpOps.Probing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>SmtpProbe against servers that misbehave: refusal, silence, garbage; and XOAUTH2 and relay policy.</summary>
public sealed class SmtpProbeFaultTests
{
    private static readonly X509Certificate2 Authority = TestCertificates.CreateAuthority();

    private static SmtpProbeOptions Options(int port, double timeoutSeconds = 5) => new()
    {
        Host = "localhost",
        Address = "127.0.0.1",
        Port = port,
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        Tls = new SmtpTlsPolicy { TrustedRoots = new[] { Authority } },
    };

    private static ProbeCheck Check(SmtpProbeResult result, string name)
        => result.Checks.SingleOrDefault(c => c.Name == name) ?? throw new Xunit.Sdk.XunitException($"No '{name}' check in: {string.Join(" | ", result.Checks)}");

    [Fact]
    public async Task A554BannerIsAServiceRefusal()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { BannerCode = 554, BannerText = "mx.contoso.test No SMTP service here" });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port));

        Assert.Equal(ProbeFailure.ServiceRefused, result.Failure);
        Assert.Equal(554, result.Banner!.Code);
        Assert.Equal("the server refuses service: 554 mx.contoso.test No SMTP service here", Check(result, "Banner").Reason);
        Assert.Equal(ProbeVerdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task ATarpitEndsWithinTheTimeoutAsAFailedBanner()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { Tarpit = true });
        var clock = Stopwatch.StartNew();

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port, timeoutSeconds: 1));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.True(result.Connected);
        Assert.Equal(ProbeFailure.Timeout, result.Failure);
        Assert.Equal(ProbeVerdict.Fail, Check(result, "Banner").Verdict);
        Assert.StartsWith("no greeting: No answer within 1 s", Check(result, "Banner").Reason);
    }

    [Fact]
    public async Task GarbageIsAProtocolViolation()
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new() { Garbage = true });

        var result = await new SmtpProbe().ProbeAsync(Options(server.Port));

        Assert.Equal(ProbeFailure.ProtocolViolation, result.Failure);
        Assert.Contains("not an SMTP server", Check(result, "Banner").Reason);
    }

    [Fact]
    public async Task AClosedRelayPassesAndAnOpenOneFails()
    {
        await using var closed = await ScriptedSmtpServer.StartAsync(new() { AcceptedDomains = new[] { "contoso.test" } });
        await using var open = await ScriptedSmtpServer.StartAsync(new());

        var closedResult = await new SmtpProbe().ProbeAsync(Options(closed.Port) with { TestOpenRelay = true });
        var openResult = await new SmtpProbe().ProbeAsync(Options(open.Port) with { TestOpenRelay = true });

        Assert.False(closedResult.OpenRelay);
        Assert.Equal(ProbeVerdict.Pass, Check(closedResult, "Open relay").Verdict);
        Assert.StartsWith("refused a foreign recipient: 550", Check(closedResult, "Open relay").Reason);
        Assert.True(openResult.OpenRelay);
        Assert.Equal(ProbeVerdict.Fail, Check(openResult, "Open relay").Verdict);
        Assert.Empty(open.Messages);
        Assert.Contains("RSET", open.Commands);
    }

    [Fact]
    public async Task XOAuth2IsTestedWithTheExactSaslString()
    {
        var certificate = TestCertificates.IssueServerCertificate(Authority, new[] { "localhost", "127.0.0.1" }, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        await using var server = await ScriptedSmtpServer.StartAsync(new() { StartTlsCertificate = certificate, OAuthTokens = new Dictionary<string, string> { ["bob@contoso.test"] = "token-123" } });

        var good = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Credential = SmtpCredential.FromAccessToken("bob@contoso.test", "token-123") });
        var bad = await new SmtpProbe().ProbeAsync(Options(server.Port) with { Credential = SmtpCredential.FromAccessToken("bob@contoso.test", "expired") });

        Assert.Equal("authenticated as bob@contoso.test with XOAUTH2", Check(good, "AUTH").Reason);
        Assert.Equal(Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("user=bob@contoso.test\u0001auth=Bearer token-123\u0001\u0001")), server.AuthenticationResponses[0]);
        Assert.Equal(ProbeVerdict.Fail, Check(bad, "AUTH").Verdict);
        Assert.Equal(535, bad.AuthReply!.Code);
    }
}
