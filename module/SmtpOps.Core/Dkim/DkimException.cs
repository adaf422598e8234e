using System;

namespace SmtpOps.Dkim;

/// <summary>
/// A DKIM key could not be used or a message must not be signed. The message never quotes key material (neither the
/// PEM text nor the parser's own message about it).
/// </summary>
public sealed class DkimException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="target">What it concerns (a path, a domain), never key material; or <c>null</c>.</param>
    /// <param name="message">The message.</param>
    public DkimException(DkimError error, string? target, string message)
        : base(message)
    {
        Error = error;
        Target = target;
    }

    /// <summary>Gets what went wrong.</summary>
    public DkimError Error { get; }

    /// <summary>Gets what it concerns (a key path, a From domain), or <c>null</c>.</summary>
    public string? Target { get; }
}
