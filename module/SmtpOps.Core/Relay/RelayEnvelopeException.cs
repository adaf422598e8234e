using System;
using SmtpOps.Messages;

namespace SmtpOps.Relay;

/// <summary>A queue message that is not a usable <see cref="RelayEnvelope"/>.</summary>
public sealed class RelayEnvelopeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="message">A message for the operator; its control characters are escaped (<see cref="SingleLineText"/>), since it quotes the queue message.</param>
    /// <param name="innerException">The parser's exception, if any.</param>
    public RelayEnvelopeException(RelayEnvelopeError error, string message, Exception? innerException = null)
        : base(SingleLineText.Escape(message), innerException)
    {
        Error = error;
    }

    /// <summary>Gets what is wrong.</summary>
    public RelayEnvelopeError Error { get; }
}
