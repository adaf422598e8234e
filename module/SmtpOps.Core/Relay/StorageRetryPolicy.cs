using System;
using Azure.Core;

namespace SmtpOps.Relay;

/// <summary>
/// How an enqueuer retries a Storage request that failed for a reason that may pass (no answer,
/// 408, 429, 500, 503...): a few quick tries, so that a mistyped account or an unreachable endpoint
/// fails within seconds instead of the Azure SDK's default of six tries over about 25 seconds.
/// </summary>
public sealed class StorageRetryPolicy
{
    /// <summary>
    /// Gets the enqueuers' default: 2 retries after 0.5 s and 1 s (3 tries within about 2 s when the
    /// endpoint refuses or does not resolve), each request given up after 30 s without an answer.
    /// </summary>
    public static StorageRetryPolicy Default { get; } = new();

    /// <summary>Gets how many times a failed request is tried again (0: never).</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>Gets the wait before the first retry; it doubles for each further retry.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Gets the longest wait between two tries.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets how long one request may wait for the service before it counts as failed.</summary>
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Applies the policy to an Azure SDK client's options.</summary>
    /// <typeparam name="T">The client options type.</typeparam>
    /// <param name="options">The options (e.g. <c>QueueClientOptions</c>).</param>
    /// <returns>The same options.</returns>
    public T ApplyTo<T>(T options)
        where T : ClientOptions
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = MaxRetries;
        options.Retry.Delay = Delay;
        options.Retry.MaxDelay = MaxDelay;
        options.Retry.NetworkTimeout = NetworkTimeout;
        return options;
    }
}
