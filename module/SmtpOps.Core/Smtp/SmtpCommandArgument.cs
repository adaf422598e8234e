using SmtpOps.Messages;

namespace SmtpOps.Smtp;

/// <summary>
/// A value SmtpOps writes into an SMTP command line (the EHLO name, the probe's MAIL FROM and RCPT TO
/// addresses). A CR or LF in it would end the command and start another one of the caller's choosing, and a
/// NUL is refused by servers or truncates the line: such a value is refused before anything connects, with
/// the error header injection gets.
/// </summary>
internal static class SmtpCommandArgument
{
    private static readonly char[] LineBreaksAndNul = { '\r', '\n', '\0' };

    /// <summary>Throws when <paramref name="value"/> holds a CR, LF or NUL.</summary>
    /// <param name="value">The value, or <c>null</c> (nothing to check).</param>
    /// <param name="name">The option's name, for the message.</param>
    /// <param name="command">The command it is written into, for the message.</param>
    /// <exception cref="MessageValidationException">The value holds a CR, LF or NUL (<see cref="MessageValidationError.HeaderInjection"/>).</exception>
    public static void EnsureSingleLine(string? value, string name, string command)
    {
        if (value is not null && value.IndexOfAny(LineBreaksAndNul) >= 0)
        {
            throw new MessageValidationException(
                MessageValidationError.HeaderInjection,
                value,
                $"{name} contains a line break or NUL character; it is written into the SMTP command {command}, so command injection is refused.");
        }
    }
}
