namespace SmtpOps.Smtp;

/// <summary>How the connection to the SMTP server is secured (MailKit's SecureSocketOptions).</summary>
public enum SmtpSecurity
{
    /// <summary>Implicit TLS on port 465; elsewhere STARTTLS when the server offers it.</summary>
    Auto = 0,

    /// <summary>No TLS at all. Authentication is then refused unless explicitly allowed.</summary>
    None = 1,

    /// <summary>Implicit TLS from the first byte (RFC 8314, port 465).</summary>
    SslOnConnect = 2,

    /// <summary>STARTTLS is required (RFC 6409 submission, port 587); fail if the server does not offer it.</summary>
    StartTls = 3,

    /// <summary>STARTTLS when the server offers it, plaintext otherwise.</summary>
    StartTlsWhenAvailable = 4,
}
