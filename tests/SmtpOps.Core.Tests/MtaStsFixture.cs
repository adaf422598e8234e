using System;
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using SmtpOps.Dns;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// Domains that publish MTA-STS, in a DNS server on 127.0.0.1, and their mta-sts.&lt;domain&gt; web servers
/// in one HTTPS server on 127.0.0.1 with certificates from the run's trusted test CA (SMTPOPS_TEST_CA,
/// trusted through SSL_CERT_FILE as ./build.ps1 test sets them).
/// </summary>
public sealed class MtaStsFixture : IAsyncLifetime
{
    /// <summary>Every policy host's A record: the client handler routes the name to the local HTTPS server.</summary>
    /// <summary>The size of the oversized policy files (mta-sts.oversized.test, mta-sts.endless.test): 256 MiB.</summary>
    public const long OversizedPolicyLength = 256L * 1024 * 1024;

    private const string PolicyHostAddress = "127.0.0.1";

    private X509Certificate2 authority = null!;

    public TestDnsServer Dns { get; private set; } = null!;

    public MtaStsPolicyServer Web { get; private set; } = null!;

    public HttpMessageHandler Handler { get; private set; } = null!;

    public HttpMessageHandler FollowingHandler { get; private set; } = null!;

    public static string Policy(string mode, long maxAge, params string[] mx)
        => $"version: STSv1\r\nmode: {mode}\r\n{string.Concat(Array.ConvertAll(mx, p => $"mx: {p}\r\n"))}max_age: {maxAge}\r\n";

    public MxResolverOptions Options(bool following = false) => new()
    {
        Servers = new[] { Dns.EndPoint },
        Timeout = TimeSpan.FromSeconds(2),
        Retries = 1,
        Randomize = false,
        UseCache = false,
        IncludePolicy = true,
        MtaStsFetchTimeout = TimeSpan.FromSeconds(5),
        MtaStsHttpHandler = following ? FollowingHandler : Handler,
    };

    public async Task InitializeAsync()
    {
        authority = TestTrustStore.LoadTrusted();
        var zone = new TestDnsZone();
        void Domain(string domain, params string[] exchanges)
        {
            for (var i = 0; i < exchanges.Length; i++)
            {
                zone.Mx(domain, (ushort)(10 * (i + 1)), exchanges[i]).A(exchanges[i], $"192.0.2.{100 + i}");
            }

            zone.Txt("_mta-sts." + domain, "v=STSv1; id=20261201T000000").A("mta-sts." + domain, PolicyHostAddress);
        }

        Domain("enforce.test", "mx1.mail.enforce.test", "mx2.mail.enforce.test", "backup.enforce.test");
        Domain("mismatch.test", "mx.mismatch.test", "a.b.mismatch.test", "mx.hosting.test");
        Domain("testing.test", "mx.testing.test", "mx.elsewhere.test");
        Domain("none.test", "mx.none.test");
        Domain("badfile.test", "mx.badfile.test");
        Domain("maxage.test", "mx.maxage.test");
        Domain("notfound.test", "mx.notfound.test");
        Domain("error.test", "mx.error.test");
        Domain("redirect.test", "mx.redirect.test");
        Domain("silent.test", "mx.silent.test");
        Domain("wrongcert.test", "mx.wrongcert.test");
        Domain("refused.test", "mx.refused.test");
        Domain("oversized.test", "mx.oversized.test");
        Domain("endless.test", "mx.oversized.test");
        Domain("justfits.test", "mx.oversized.test");
        Dns = await TestDnsServer.StartAsync(zone);

        Web = MtaStsPolicyServer.Start(authority)
            .Publish("mta-sts.enforce.test", Policy("enforce", 604800, "*.mail.enforce.test", "backup.enforce.test"))
            .Publish("mta-sts.mismatch.test", Policy("enforce", 86400, "*.mismatch.test"))
            .Publish("mta-sts.testing.test", Policy("testing", 86400, "mx.testing.test"))
            .Publish("mta-sts.none.test", Policy("none", 86400, "mx.other.test"))
            .Publish("mta-sts.badfile.test", "<html><body>Welcome to nginx!</body></html>\n")
            .Publish("mta-sts.maxage.test", Policy("enforce", 99999999, "mx.maxage.test"))
            .Respond("mta-sts.notfound.test", 404, "Not Found")
            .Respond("mta-sts.error.test", 503, "Service Unavailable")
            .Respond("mta-sts.redirect.test", 301, "Moved Permanently", "https://mta-sts.enforce.test/.well-known/mta-sts.txt")
            .NeverAnswer("mta-sts.silent.test")
            .PublishOversized("mta-sts.oversized.test", OversizedPolicyLength, declareLength: true)
            .PublishOversized("mta-sts.endless.test", OversizedPolicyLength, declareLength: false)
            .PublishOversized("mta-sts.justfits.test", 64 * 1024, declareLength: false)
            .PresentCertificateFor("mta-sts.wrongcert.test", "www.hosting.test", Policy("enforce", 86400, "mx.wrongcert.test"));
        // refused.test: its policy host resolves, but the handler knows no server for it (nothing listens).
        Handler = Web.CreateClientHandler();
        FollowingHandler = Web.CreateClientHandler(followRedirects: true);
    }

    public async Task DisposeAsync()
    {
        Handler?.Dispose();
        FollowingHandler?.Dispose();
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }

        if (Dns is not null)
        {
            await Dns.DisposeAsync();
        }

        authority?.Dispose();
    }
}
