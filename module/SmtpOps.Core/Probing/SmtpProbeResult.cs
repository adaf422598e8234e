using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Probing;

/// <summary>Everything one probe of one endpoint found, with a verdict per check.</summary>
public sealed class SmtpProbeResult
{
    /// <summary>Gets the host name probed.</summary>
    public string ComputerName { get; init; } = string.Empty;

    /// <summary>
    /// Gets the address connected to. Named like the cmdlet's -IPAddress parameter; a property
    /// called Address would be shadowed by Array.Address in PowerShell's member enumeration.
    /// </summary>
    public string? IPAddress { get; init; }

    /// <summary>Gets the port.</summary>
    public int Port { get; init; }

    /// <summary>Gets whether the TCP connection was made.</summary>
    public bool Connected { get; init; }

    /// <summary>Gets the greeting, when one arrived.</summary>
    public SmtpReply? Banner { get; init; }

    /// <summary>Gets the host name the banner announces (its first word after the code).</summary>
    public string? BannerHostName { get; init; }

    /// <summary>Gets the EHLO extensions before TLS (empty for implicit TLS).</summary>
    public IReadOnlyList<string> ExtensionsBeforeTls { get; init; } = Array.Empty<string>();

    /// <summary>Gets the EHLO extensions after TLS (empty without TLS).</summary>
    public IReadOnlyList<string> ExtensionsAfterTls { get; init; } = Array.Empty<string>();

    /// <summary>Gets how TLS was started: "None", "StartTls" or "Implicit".</summary>
    public string TlsMode { get; init; } = "None";

    /// <summary>Gets the negotiated TLS protocol, e.g. "Tls13", or <c>null</c>.</summary>
    public string? TlsProtocol { get; init; }

    /// <summary>Gets the negotiated cipher suite (its IANA name where the runtime reports it), or <c>null</c>.</summary>
    public string? CipherSuite { get; init; }

    /// <summary>Gets the server certificate, when TLS was negotiated.</summary>
    public ProbeCertificate? Certificate { get; init; }

    /// <summary>
    /// Gets which TLS versions (1.0 to 1.3) the server offers, one restricted handshake each (BouncyCastle's TLS, not the
    /// system's: see <see cref="TlsOffer"/>); empty when TLS was not tried or <see cref="SmtpProbeOptions.ScanTls"/> is off.
    /// </summary>
    public IReadOnlyList<TlsOffer> TlsVersions { get; init; } = Array.Empty<TlsOffer>();

    /// <summary>
    /// Gets which classes of cipher suites the server offers: Anonymous, NULL and Export (bad when offered), Forward
    /// secrecy and AEAD (bad when not offered); one handshake per class, BouncyCastle's TLS.
    /// </summary>
    public IReadOnlyList<TlsOffer> CipherClasses { get; init; } = Array.Empty<TlsOffer>();

    /// <summary>Gets the AUTH mechanisms offered before TLS.</summary>
    public IReadOnlyList<string> AuthMechanismsBeforeTls { get; init; } = Array.Empty<string>();

    /// <summary>Gets the AUTH mechanisms offered on the final (TLS, when possible) session.</summary>
    public IReadOnlyList<string> AuthMechanisms { get; init; } = Array.Empty<string>();

    /// <summary>Gets the answer to the AUTH test, when one ran.</summary>
    public SmtpReply? AuthReply { get; init; }

    /// <summary>Gets the answer to RCPT TO in the recipient test, when one ran.</summary>
    public SmtpReply? RecipientReply { get; init; }

    /// <summary>Gets whether the server accepted a foreign recipient unauthenticated; <c>null</c> when not tested.</summary>
    public bool? OpenRelay { get; init; }

    /// <summary>Gets the time of each stage.</summary>
    public ProbeTimings Timings { get; init; } = new();

    /// <summary>Gets every check with its verdict.</summary>
    public IReadOnlyList<ProbeCheck> Checks { get; init; } = Array.Empty<ProbeCheck>();

    /// <summary>Gets the worst verdict of all checks.</summary>
    public ProbeVerdict Verdict => Checks.Count == 0 ? ProbeVerdict.Fail : Checks.Max(c => c.Verdict);

    /// <summary>Gets why the dialogue could not finish, or <see cref="ProbeFailure.None"/>.</summary>
    public ProbeFailure Failure { get; init; }

    /// <summary>Gets what stopped the probe early, or <c>null</c> when it ran to the end.</summary>
    public string? Error { get; init; }
}
