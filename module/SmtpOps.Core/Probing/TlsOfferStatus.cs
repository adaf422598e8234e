namespace SmtpOps.Probing;

/// <summary>Whether a server accepted a handshake restricted to one TLS version or one class of cipher suites.</summary>
public enum TlsOfferStatus
{
    /// <summary>The server chose a suite of the class (or answered with the version): it offers it.</summary>
    Offered,

    /// <summary>The server refused the restricted handshake (an alert, or it hung up): it does not offer it.</summary>
    NotOffered,

    /// <summary>Not tried: no TLS library the probe has can offer it (<see cref="TlsOffer.Detail"/> says why).</summary>
    NotTested,

    /// <summary>Tried, but the answer says nothing about the offer (a timeout, an SMTP refusal before TLS).</summary>
    Unknown,
}
