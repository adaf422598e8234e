using System;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Smtp;

/// <summary>Where and how to submit mail: server, TLS policy, authentication, timeouts, retries.</summary>
public sealed record SmtpConnectionOptions
{
    /// <summary>Gets the SMTP server's host name or address.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>Gets the port; 0 means 465 for <see cref="SmtpSecurity.SslOnConnect"/> and 25 otherwise.</summary>
    public int Port { get; init; }

    /// <summary>Gets the TLS rules: security mode, certificate decision, revocation, credentials without TLS.</summary>
    public SmtpTlsPolicy Tls { get; init; } = new();

    /// <summary>Gets the credential to authenticate with, or <c>null</c> to send without AUTH.</summary>
    public SmtpCredential? Credential { get; init; }

    /// <summary>
    /// Gets a source of credentials asked at every new connection (e.g. an OAuth2 token that
    /// expires and is refreshed); used when <see cref="Credential"/> is <c>null</c>.
    /// </summary>
    public Func<CancellationToken, Task<SmtpCredential>>? CredentialProvider { get; init; }

    /// <summary>Gets a sink for the SMTP dialogue, line by line (AUTH secrets redacted, message content omitted), or <c>null</c>.</summary>
    public Action<string>? TranscriptSink { get; init; }

    /// <summary>
    /// Gets the timeout of each network operation: connecting, each write, and each server reply as a whole (a
    /// server that drips a reply cannot stretch it; see <see cref="BoundedSmtpStream"/>).
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Gets the name sent in EHLO/HELO, or <c>null</c> for the machine's name.</summary>
    public string? HeloName { get; init; }

    /// <summary>Gets the retry policy for transient failures.</summary>
    public RetryPolicy Retry { get; init; } = new();

    /// <summary>Gets a file that receives the SMTP dialogue (appended; AUTH secrets redacted), or <c>null</c>.</summary>
    public string? TranscriptPath { get; init; }

    /// <summary>Gets the port actually used.</summary>
    public int EffectivePort => Tls.EffectivePort(Port);

    /// <summary>
    /// Refuses values that would put more than they say on the wire: a <see cref="HeloName"/> with a CR, LF or
    /// NUL (MailKit writes it into EHLO/HELO unchecked). <see cref="SmtpSubmitter"/> calls it before connecting.
    /// </summary>
    /// <exception cref="Messages.MessageValidationException">A value holds a CR, LF or NUL (<see cref="Messages.MessageValidationError.HeaderInjection"/>).</exception>
    public void Validate() => SmtpCommandArgument.EnsureSingleLine(HeloName, nameof(HeloName), "EHLO");
}
