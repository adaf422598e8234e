using System.Collections.Generic;
using System.Net;
using System.Text;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace SmtpOps.Probing;

/// <summary>
/// A BouncyCastle TLS client that offers only the given versions and suites and records what the server chose. The
/// server's choice is what the probe wants: it is recorded as soon as the ServerHello arrives, so a handshake that fails
/// later (a key this client would not accept) still shows what the server offers. It accepts any certificate: the
/// certificate is judged on the probe's main handshake, not here.
/// </summary>
internal sealed class RestrictedTlsClient : DefaultTlsClient
{
    private readonly ProtocolVersion[] versions;
    private readonly int[] suites;
    private readonly string host;

    public RestrictedTlsClient(ProtocolVersion[] versions, int[] suites, string host)
        : base(new BcTlsCrypto(new SecureRandom()))
    {
        this.versions = versions;
        this.suites = suites;
        this.host = host;
    }

    /// <summary>Gets the version the server answered with, or <c>null</c>.</summary>
    public ProtocolVersion? ServerVersion { get; private set; }

    /// <summary>Gets the suite the server chose, or <c>null</c>.</summary>
    public int? SelectedSuite { get; private set; }

    public override void NotifyServerVersion(ProtocolVersion serverVersion)
    {
        ServerVersion = serverVersion;
        base.NotifyServerVersion(serverVersion);
    }

    public override void NotifySelectedCipherSuite(int selectedCipherSuite)
    {
        SelectedSuite = selectedCipherSuite;
        base.NotifySelectedCipherSuite(selectedCipherSuite);
    }

    public override TlsAuthentication GetAuthentication() => new AnyServerCertificate();

    protected override ProtocolVersion[] GetSupportedVersions() => versions;

    protected override int[] GetSupportedCipherSuites() => suites;

    protected override IList<ServerName>? GetSniServerNames()
        => IPAddress.TryParse(host, out _) ? null : new List<ServerName> { new(NameType.host_name, Encoding.ASCII.GetBytes(host)) };

    private sealed class AnyServerCertificate : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
        {
        }

        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => null;
    }
}
