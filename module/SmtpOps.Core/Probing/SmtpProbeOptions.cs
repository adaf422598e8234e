using System;
using SmtpOps.Smtp;

namespace SmtpOps.Probing;

/// <summary>What to probe and which optional tests to run. Nothing the probe does sends a message.</summary>
public sealed record SmtpProbeOptions
{
    /// <summary>Gets the host name (used for the certificate name check and SNI).</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>Gets the address to connect to; <c>null</c> resolves <see cref="Host"/>.</summary>
    public string? Address { get; init; }

    /// <summary>Gets the port (25 by default).</summary>
    public int Port { get; init; } = 25;

    /// <summary>
    /// Gets the TLS rules to judge the server by, the same that sending uses: Security Auto is implicit TLS
    /// on 465 and STARTTLS when offered elsewhere, StartTls fails the probe's STARTTLS check when it is not
    /// offered, None never starts TLS; the certificate is judged as a send with the same policy would judge it.
    /// </summary>
    public SmtpTlsPolicy Tls { get; init; } = new();

    /// <summary>Gets the name sent in EHLO; <c>null</c> for the machine's name.</summary>
    public string? HeloName { get; init; }

    /// <summary>Gets the timeout of each network step; the probe never waits longer for one answer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets a credential to test AUTH with (no message is sent), or <c>null</c>.</summary>
    public SmtpCredential? Credential { get; init; }

    /// <summary>Gets the sender for the recipient test; <c>null</c> uses the null sender &lt;&gt;.</summary>
    public string? From { get; init; }

    /// <summary>Gets a recipient to test with MAIL/RCPT then RSET (nothing is sent), or <c>null</c>.</summary>
    public string? To { get; init; }

    /// <summary>Gets whether to test for an open relay: a foreign sender and recipient, unauthenticated, then RSET.</summary>
    public bool TestOpenRelay { get; init; }

    /// <summary>Gets a file that receives the dialogue (appended; AUTH redacted), or <c>null</c>.</summary>
    public string? TranscriptPath { get; init; }

    /// <summary>
    /// Gets whether to make the extra handshakes of the "TLS versions" and "Cipher suites" checks (one connection each
    /// per TLS version and per class of weak suites, all at once, BouncyCastle's TLS); true by default.
    /// </summary>
    public bool ScanTls { get; init; } = true;

    /// <summary>Gets the days before expiry from which the certificate check warns.</summary>
    public int CertificateWarningDays { get; init; } = 30;

    /// <summary>
    /// Refuses values that would put more than they say on the wire: a <see cref="HeloName"/>, <see cref="From"/>
    /// or <see cref="To"/> with a CR, LF or NUL (each is written into a command line as given).
    /// <see cref="SmtpProbe.ProbeAsync"/> calls it before connecting.
    /// </summary>
    /// <exception cref="Messages.MessageValidationException">A value holds a CR, LF or NUL (<see cref="Messages.MessageValidationError.HeaderInjection"/>).</exception>
    public void Validate()
    {
        SmtpCommandArgument.EnsureSingleLine(HeloName, nameof(HeloName), "EHLO");
        SmtpCommandArgument.EnsureSingleLine(From, nameof(From), "MAIL FROM");
        SmtpCommandArgument.EnsureSingleLine(To, nameof(To), "RCPT TO");
    }
}
