namespace SmtpOps.Probing;

/// <summary>The steps of a probe's dialogue, in order; where a probe stopped is one of them.</summary>
internal enum ProbeStage
{
    /// <summary>Resolving the host and opening the TCP connection.</summary>
    Connect,

    /// <summary>The TLS handshake (implicit TLS, or after STARTTLS).</summary>
    Tls,

    /// <summary>Waiting for the server's greeting.</summary>
    Banner,

    /// <summary>The first EHLO.</summary>
    Ehlo,

    /// <summary>The STARTTLS command.</summary>
    StartTls,

    /// <summary>The EHLO repeated over TLS.</summary>
    EhloAfterTls,

    /// <summary>The open-relay test (MAIL FROM/RCPT TO with foreign domains, then RSET).</summary>
    OpenRelayTest,

    /// <summary>The optional AUTH test.</summary>
    Auth,

    /// <summary>The optional recipient test (MAIL FROM/RCPT TO, then RSET).</summary>
    RecipientTest,

    /// <summary>Saying goodbye.</summary>
    Quit,
}
