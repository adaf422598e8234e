namespace SmtpOps.Probing;

/// <summary>Why a probe could not finish its dialogue; <see cref="None"/> when it did.</summary>
public enum ProbeFailure
{
    /// <summary>The dialogue ran to the end (checks may still fail).</summary>
    None,

    /// <summary>No TCP connection could be made, or the host did not resolve.</summary>
    Unreachable,

    /// <summary>The server stopped answering within the timeout (a tarpit, or overloaded).</summary>
    Timeout,

    /// <summary>The server answered with something that is not SMTP, or hung up mid-dialogue.</summary>
    ProtocolViolation,

    /// <summary>The server greeted with a refusal (e.g. 554) or refused EHLO or STARTTLS.</summary>
    ServiceRefused,

    /// <summary>The TLS handshake failed.</summary>
    TlsFailure,
}
