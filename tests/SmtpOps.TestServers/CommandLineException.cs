using System;

namespace SmtpOps.TestServers;

/// <summary>
/// A command line that a command cannot run with; the message says what is wrong. Thrown only while a command reads its
/// arguments (by <see cref="CommandLineArguments"/> or the command's own checks), so that <see cref="Program"/> can tell
/// a usage error (message and usage on stderr, exit code 2) from a server that failed.
/// </summary>
internal sealed class CommandLineException : Exception
{
    public CommandLineException(string message)
        : base(message)
    {
    }
}
