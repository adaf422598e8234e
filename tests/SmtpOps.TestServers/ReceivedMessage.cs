using System;
using System.Collections.Generic;

namespace SmtpOps.TestServers;

/// <summary>A message accepted by a <see cref="TestSmtpServer"/>.</summary>
/// <param name="From">Envelope sender (MAIL FROM), empty for the null reverse path.</param>
/// <param name="Recipients">Envelope recipients (accepted RCPT TO), in order.</param>
/// <param name="Data">The message as received after DATA (dot-unstuffed, ending with the CRLF of its last line, without the final ".").</param>
/// <param name="SessionNumber">1-based number of the TCP connection that delivered it.</param>
/// <param name="AuthenticatedUser">The AUTH user of the session, or null.</param>
/// <param name="Secure">Whether the session was TLS-protected when DATA completed.</param>
public sealed record ReceivedMessage(
    string From,
    IReadOnlyList<string> Recipients,
    byte[] Data,
    int SessionNumber,
    string? AuthenticatedUser,
    bool Secure)
{
    /// <summary>Gets when the server accepted the message (end of DATA), on its own clock.</summary>
    public DateTimeOffset ReceivedAt { get; init; } = DateTimeOffset.UtcNow;
}
