namespace SmtpOps.TestServers;

/// <summary>How a <see cref="TestSmtpServer"/> offers TLS.</summary>
public enum TestSmtpTls
{
    /// <summary>Plain SMTP, no STARTTLS offered.</summary>
    None,

    /// <summary>Plain connection that offers STARTTLS (submission on 587).</summary>
    StartTls,

    /// <summary>TLS from the first byte (submission on 465).</summary>
    Implicit,
}
