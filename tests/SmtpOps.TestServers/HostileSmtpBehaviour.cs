namespace SmtpOps.TestServers;

/// <summary>What a <see cref="HostileSmtpServer"/> does to each client.</summary>
public enum HostileSmtpBehaviour
{
    /// <summary>The greeting is one line that never ends: <c>220-</c> and then bytes without CRLF.</summary>
    EndlessGreetingLine,

    /// <summary>A normal greeting; the reply to EHLO is one line that never ends.</summary>
    EndlessLineAfterEhlo,

    /// <summary>A normal greeting; the reply to EHLO is a multi-line reply of hundreds of megabytes, in short lines.</summary>
    HugeEhloReply,

    /// <summary>The greeting, a normal line, sent one byte at a time with a pause between bytes.</summary>
    DrippedGreeting,
}
