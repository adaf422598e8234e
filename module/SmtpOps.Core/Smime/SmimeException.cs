using System;
using System.Collections.Generic;
using SmtpOps.Messages;

namespace SmtpOps.Smime;

/// <summary>
/// Thrown when S/MIME cannot be applied to a message; nothing has been sent. The message never quotes a
/// password or key material.
/// </summary>
public sealed class SmimeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">Why S/MIME could not be applied.</param>
    /// <param name="targets">What it is about: the recipients without a certificate, the sender, a file path or a certificate's subject.</param>
    /// <param name="message">A message for the user (one line; control characters are escaped).</param>
    /// <param name="innerException">The cause, when there is one.</param>
    public SmimeException(SmimeFailureKind kind, IReadOnlyList<string> targets, string message, Exception? innerException = null)
        : base(SingleLineText.Escape(message), innerException)
    {
        Kind = kind;
        Targets = targets ?? Array.Empty<string>();
    }

    /// <summary>Gets why S/MIME could not be applied.</summary>
    public SmimeFailureKind Kind { get; }

    /// <summary>
    /// Gets what the failure is about: for <see cref="SmimeFailureKind.MissingRecipientCertificate"/> every recipient
    /// address without a certificate (one error each in PowerShell), otherwise the sender, file or certificate concerned.
    /// </summary>
    public IReadOnlyList<string> Targets { get; }
}
