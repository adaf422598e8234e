using System;

namespace SmtpOps.Messages;

/// <summary>
/// Thrown when a message definition is refused before anything is sent: bad addresses,
/// header injection, missing files.
/// </summary>
public sealed class MessageValidationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="target">The offending value (an address, a header, a path).</param>
    /// <param name="message">A message for the user; its control characters are escaped (<see cref="SingleLineText"/>), since it may quote the value.</param>
    public MessageValidationException(MessageValidationError error, string? target, string message)
        : base(SingleLineText.Escape(message))
    {
        Error = error;
        Target = target;
    }

    /// <summary>Gets what is wrong.</summary>
    public MessageValidationError Error { get; }

    /// <summary>Gets the offending value (an address, a header, a path), when there is one.</summary>
    public string? Target { get; }
}
