using System;
using SmtpOps.Messages;

namespace SmtpOps.Relay;

/// <summary>A re-send or removal that <see cref="RelayQueueInspector"/> refused; nothing was changed.</summary>
public sealed class RelayInspectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">Why.</param>
    /// <param name="message">What happened and what to do; its control characters are escaped (<see cref="SingleLineText"/>).</param>
    /// <param name="failure">The failure concerned.</param>
    /// <param name="innerException">The cause, if any.</param>
    public RelayInspectionException(RelayInspectionError error, string message, RelayFailure failure, Exception? innerException = null)
        : base(SingleLineText.Escape(message), innerException)
    {
        Error = error;
        Failure = failure;
    }

    /// <summary>Gets why.</summary>
    public RelayInspectionError Error { get; }

    /// <summary>Gets the failure concerned.</summary>
    public RelayFailure Failure { get; }
}
