namespace SmtpOps.Probing;

/// <summary>
/// What one restricted handshake found: whether the server offers a TLS version (e.g. "TLS 1.0") or a class of cipher
/// suites (e.g. "Anonymous"), and what it negotiated. These handshakes are BouncyCastle's, independent of this machine's
/// TLS library, so an old version or weak suite the system refuses to offer is still seen as the server offers it.
/// </summary>
public sealed class TlsOffer
{
    /// <summary>Gets what was tried: a version ("TLS 1.0" ... "TLS 1.3") or a class of suites ("Anonymous", "NULL", "Export", "Forward secrecy", "AEAD").</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Gets whether the server offers it.</summary>
    public TlsOfferStatus Status { get; init; }

    /// <summary>Gets the version the server answered with, e.g. "TLS 1.0", or <c>null</c>.</summary>
    public string? Protocol { get; init; }

    /// <summary>Gets the cipher suite the server chose (IANA name), or <c>null</c>.</summary>
    public string? CipherSuite { get; init; }

    /// <summary>Gets what happened, in a few words.</summary>
    public string Detail { get; init; } = string.Empty;

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Status} ({Detail})";
}
