using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Tls;

namespace SmtpOps.TestServers;

/// <summary>
/// What a <see cref="LegacyTlsSmtpServer"/> offers after STARTTLS: the TLS versions and cipher suites an old or badly
/// configured server offers (TLS 1.0/1.1, anonymous, NULL, non-forward-secret, CBC-only), and optionally a session cache
/// shared with other ports, as Postfix shares its session-ticket keys across listeners.
/// </summary>
public sealed record LegacyTlsSmtpServerOptions
{
    /// <summary>The certificate (with its RSA private key, exportable) presented for suites that authenticate the server.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The versions offered, e.g. <c>ProtocolVersion.TLSv10.Only()</c>; TLS 1.0 to 1.2 by default.</summary>
    public ProtocolVersion[] Versions { get; init; } = ProtocolVersion.TLSv12.DownTo(ProtocolVersion.TLSv10);

    /// <summary>The suites offered, in preference order (values of <see cref="CipherSuite"/>); <c>null</c> for BouncyCastle's defaults.</summary>
    public int[]? CipherSuites { get; init; }

    /// <summary>A session cache shared with other servers: a session made on one port can be resumed on another.</summary>
    public LegacyTlsSessionCache? SessionCache { get; init; }
}
