using System.Threading.Tasks;
using SmtpOps.Dkim;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests.Dkim;

/// <summary>
/// Keys made once per test class, and a DNS server on 127.0.0.1 that publishes them as verifiers will look them up:
/// rsa2026._domainkey.contoso.test (RSA 2048, two character-strings) and ed2026._domainkey.contoso.test (Ed25519).
/// </summary>
public sealed class DkimFixture : IAsyncLifetime
{
    public const string Domain = "contoso.test";
    public const string RsaSelector = "rsa2026";
    public const string Ed25519Selector = "ed2026";

    public DkimKey Rsa { get; } = DkimKey.Generate(DkimAlgorithm.RsaSha256);

    public DkimKey Ed25519 { get; } = DkimKey.Generate(DkimAlgorithm.Ed25519Sha256);

    /// <summary>Another RSA key, published nowhere.</summary>
    public DkimKey Stranger { get; } = DkimKey.Generate(DkimAlgorithm.RsaSha256);

    public TestDnsServer Dns { get; private set; } = null!;

    public DkimKey Key(DkimAlgorithm algorithm) => algorithm == DkimAlgorithm.Ed25519Sha256 ? Ed25519 : Rsa;

    public string Selector(DkimAlgorithm algorithm) => algorithm == DkimAlgorithm.Ed25519Sha256 ? Ed25519Selector : RsaSelector;

    public DkimMessageSigner Signer(DkimAlgorithm algorithm) => new(Domain, Selector(algorithm), Key(algorithm));

    public async Task InitializeAsync() => Dns = await TestDnsServer.StartAsync(new TestDnsZone()
        .Txt($"{RsaSelector}._domainkey.{Domain}", DkimPublicKeyRecord.Format(Rsa))
        .Txt($"{Ed25519Selector}._domainkey.{Domain}", DkimPublicKeyRecord.Format(Ed25519))
        .Txt($"revoked._domainkey.{Domain}", "v=DKIM1; k=rsa; p=")
        .Txt($"twice._domainkey.{Domain}", DkimPublicKeyRecord.Format(Rsa))
        .Txt($"twice._domainkey.{Domain}", DkimPublicKeyRecord.Format(Ed25519))
        .Txt($"spf._domainkey.{Domain}", "v=spf1 -all")
        .FailWithServerFailure($"broken._domainkey.{Domain}"));

    public async Task DisposeAsync() => await Dns.DisposeAsync();
}
