using System.Collections.Generic;

namespace SmtpOps.TestServers;

/// <summary>A message accepted by a <see cref="ScriptedSmtpServer"/>.</summary>
/// <param name="From">Envelope sender (MAIL FROM), empty for the null reverse path.</param>
/// <param name="Recipients">Envelope recipients (accepted RCPT TO), in order.</param>
/// <param name="Data">The content (after DATA: dot-unstuffed, ending with the CRLF of its last line, without the final "."; or the BDAT chunks joined).</param>
/// <param name="Secure">Whether the session was TLS-protected when the message was accepted.</param>
/// <param name="AuthenticatedUser">The AUTH user of the session, or null.</param>
/// <param name="SessionNumber">1-based number of the TCP connection that delivered it.</param>
public sealed record ScriptedMessage(
    string From,
    IReadOnlyList<string> Recipients,
    byte[] Data,
    bool Secure,
    string? AuthenticatedUser,
    int SessionNumber);
