using System;

namespace SmtpOps.Probing;

/// <summary>How long each stage of a probe took; <c>null</c> for a stage that did not run.</summary>
public sealed class ProbeTimings
{
    /// <summary>Gets the TCP connect time.</summary>
    public TimeSpan? Connect { get; init; }

    /// <summary>Gets the time from connect to the complete banner.</summary>
    public TimeSpan? Banner { get; init; }

    /// <summary>Gets the first EHLO round trip.</summary>
    public TimeSpan? Ehlo { get; init; }

    /// <summary>Gets the TLS handshake (after STARTTLS, or on connect for implicit TLS).</summary>
    public TimeSpan? TlsHandshake { get; init; }

    /// <summary>Gets the AUTH exchange.</summary>
    public TimeSpan? Auth { get; init; }

    /// <summary>Gets the MAIL/RCPT test.</summary>
    public TimeSpan? Recipient { get; init; }

    /// <summary>Gets the extra handshakes of the TLS versions and cipher suites checks (made at once, on their own connections).</summary>
    public TimeSpan? TlsScan { get; init; }

    /// <summary>Gets the whole probe.</summary>
    public TimeSpan Total { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"connect {Ms(Connect)}, banner {Ms(Banner)}, EHLO {Ms(Ehlo)}, TLS {Ms(TlsHandshake)}, AUTH {Ms(Auth)}, RCPT {Ms(Recipient)}, TLS scan {Ms(TlsScan)}, total {Ms(Total)}";

    private static string Ms(TimeSpan? value) => value is { } v ? $"{v.TotalMilliseconds:0} ms" : "-";
}
