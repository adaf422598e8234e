using System;

namespace SmtpOps.Smtp;

/// <summary>
/// How often and how long to wait before a transient failure (4xx, lost connection, timeout)
/// is tried again: exponential backoff from <see cref="InitialDelay"/>, capped at <see cref="MaxDelay"/>.
/// </summary>
/// <remarks>
/// Every route retries by it (SMTP, Graph, the relay), so it could live in a neutral namespace; it stays in
/// <c>SmtpOps.Smtp</c>, where it was first published, because moving a public type breaks every C# caller for no gain
/// in behaviour.
/// </remarks>
public sealed class RetryPolicy
{
    /// <summary>Gets a policy that never retries.</summary>
    public static RetryPolicy None { get; } = new() { MaxRetries = 0 };

    /// <summary>Gets how many times a message is tried again after the first attempt.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>Gets the wait before the first retry; each further retry doubles it.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the longest wait between two attempts.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the wait before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    /// <param name="retry">The retry number, from 1.</param>
    /// <returns>The delay.</returns>
    public TimeSpan GetDelay(int retry)
    {
        var factor = Math.Pow(2, Math.Max(0, retry - 1));
        var ticks = Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
