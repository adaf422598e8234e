using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SmtpOps.Relay.Hosting;

/// <summary>
/// What a relay host checks before it starts listening, so that a configuration mistake ends the
/// process at once with one readable line per problem and a documented exit code, instead of an
/// unhandled exception with its stack trace (or, for Storage, a crash half a minute later):
/// the settings, the Storage connection string, that the Storage account answers and accepts the
/// credentials, and (a warning only) that the smarthost's port can be reached.
/// </summary>
public static class RelayStartupCheck
{
    /// <summary>The exit code for settings that are missing, invalid or unreadable (nothing was started).</summary>
    public const int InvalidSettingsExitCode = 2;

    /// <summary>The exit code for a Storage account that cannot be reached or refuses the credentials at start-up.</summary>
    public const int StorageUnavailableExitCode = 3;

    /// <summary>The prefix of every line the check writes.</summary>
    public const string Prefix = "SmtpOps relay: ";

    /// <summary>Tells whether an exception thrown while building a host is a configuration value that could not be converted.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>Whether it is a configuration binding error (its message names the setting, not a secret: only typed values fail to convert).</returns>
    public static bool IsBindingError(Exception exception)
        => exception is InvalidOperationException && exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal);

    /// <summary>Runs the checks and writes one line per problem.</summary>
    /// <param name="services">The built host's services (with <see cref="RelayServiceCollectionExtensions.AddSmtpRelay"/>).</param>
    /// <param name="output">Where the problems go (the console's error stream).</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    /// <param name="hostJsonPath">The Functions host's host.json (the Function passes its own), whose maxDequeueCount must equal Relay:MaxAttempts; <c>null</c> for a host that derives it from Relay:MaxAttempts itself.</param>
    /// <returns>0 when the host may start, else <see cref="InvalidSettingsExitCode"/> or <see cref="StorageUnavailableExitCode"/>.</returns>
    public static async Task<int> RunAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken = default, string? hostJsonPath = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(output);

        RelaySettings settings;
        try
        {
            settings = services.GetRequiredService<IOptions<RelaySettings>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            foreach (var failure in ex.Failures)
            {
                await output.WriteLineAsync(Prefix + "configuration error: " + StripPrefix(failure)).ConfigureAwait(false);
            }

            return InvalidSettingsExitCode;
        }
        catch (Exception ex) when (IsBindingError(ex))
        {
            await output.WriteLineAsync(Prefix + "configuration error: " + ex.Message).ConfigureAwait(false);
            return InvalidSettingsExitCode;
        }

        if (hostJsonPath is not null && CheckMaxDequeueCount(hostJsonPath, settings.MaxAttempts, Environment.GetEnvironmentVariable) is { } mismatch)
        {
            await output.WriteLineAsync(Prefix + "configuration error: " + mismatch).ConfigureAwait(false);
            return InvalidSettingsExitCode;
        }

        QueueClient queue;
        try
        {
            queue = StorageProbeQueue(services, settings.QueueName);
        }
        catch (FormatException ex)
        {
            // The parser's message does not repeat the string, which holds the account key.
            await output.WriteLineAsync($"{Prefix}configuration error: {RelayStorageConnection.SettingName} (or AzureWebJobsStorage) is not a Storage connection string: {ex.Message}").ConfigureAwait(false);
            return InvalidSettingsExitCode;
        }

        if (await CheckStorageAsync(queue, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            await output.WriteLineAsync(Prefix + problem + " The host did not start.").ConfigureAwait(false);
            return StorageUnavailableExitCode;
        }

        // With Relay:Transport Graph or Acs the smarthost is not used: nothing to probe.
        if (settings.Transport == RelayTransportKind.Smtp && await CheckSmarthostAsync(settings.Smarthost, cancellationToken).ConfigureAwait(false) is { } warning)
        {
            await output.WriteLineAsync(Prefix + warning).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>
    /// Asks the Storage account for the relay queue's properties (3 quick tries) and says what is wrong, for a
    /// host that watches Storage while it runs.
    /// </summary>
    /// <param name="services">The host's services (settings already validated).</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Nothing when the account answers and accepts the credentials, else one line saying what failed and what to check.</returns>
    public static Task<string?> DescribeStorageProblemAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        return CheckStorageAsync(StorageProbeQueue(services, services.GetRequiredService<IOptions<RelaySettings>>().Value.QueueName), cancellationToken);
    }

    /// <summary>
    /// Says whether the Functions host's maxDequeueCount (the app setting <c>AzureFunctionsJobHost__extensions__queues__maxDequeueCount</c>,
    /// else host.json's <c>extensions.queues.maxDequeueCount</c>, else the host's default 5) differs from Relay:MaxAttempts. They must be
    /// equal: the relay writes its dead-letter record with the reason at its last attempt, and the host moves a message to the bare
    /// poison queue at its maxDequeueCount.
    /// </summary>
    /// <param name="hostJsonPath">The host.json file.</param>
    /// <param name="maxAttempts">Relay:MaxAttempts.</param>
    /// <param name="environment">Reads an environment variable (the app settings).</param>
    /// <returns>The mismatch in one line, or <c>null</c> when they agree.</returns>
    public static string? CheckMaxDequeueCount(string hostJsonPath, int maxAttempts, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        const string Override = "AzureFunctionsJobHost__extensions__queues__maxDequeueCount";
        string source;
        int hostValue;
        if (environment(Override) is { } setting)
        {
            if (!int.TryParse(setting, out hostValue))
            {
                return $"the app setting {Override} is '{setting}', not a number.";
            }

            source = $"the app setting {Override}";
        }
        else
        {
            hostValue = 5;
            source = "host.json extensions.queues.maxDequeueCount (absent: the host's default)";
            if (File.Exists(hostJsonPath))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(hostJsonPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                if (json.RootElement.TryGetProperty("extensions", out var extensions) && extensions.TryGetProperty("queues", out var queues)
                    && queues.TryGetProperty("maxDequeueCount", out var count) && count.TryGetInt32(out var configured))
                {
                    hostValue = configured;
                    source = "host.json extensions.queues.maxDequeueCount";
                }
            }
        }

        return hostValue == maxAttempts
            ? null
            : $"{source} is {hostValue} but Relay:MaxAttempts is {maxAttempts}: set both to the same number (the relay dead-letters with its reason at Relay:MaxAttempts; the host moves a message to the bare poison queue at maxDequeueCount).";
    }

    private static QueueClient StorageProbeQueue(IServiceProvider services, string queueName)
        => services.GetRequiredService<RelayStorageConnection>().Queue(queueName, StorageRetryPolicy.Default.ApplyTo(RelayStorage.QueueOptions()));

    private static string StripPrefix(string failure)
        => failure.StartsWith(RelaySettingsValidator.FailurePrefix, StringComparison.Ordinal) ? failure.Substring(RelaySettingsValidator.FailurePrefix.Length) : failure;

    // One request with the enqueuers' short retry policy: a wrong account, endpoint or key is known in seconds.
    private static async Task<string?> CheckStorageAsync(QueueClient queue, CancellationToken cancellationToken)
    {
        var endpoint = queue.Uri.GetLeftPart(UriPartial.Path);
        var where = $"Storage account '{queue.AccountName}' ({endpoint})";
        try
        {
            await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Reachable and the credentials work; the queue is created when the host starts listening.
            return null;
        }
        catch (AuthenticationFailedException ex)
        {
            // An identity-based connection whose identity gets no token: nothing reached Storage yet.
            return $"Storage unavailable: no token for {where}: {ex.Message.Split('\n')[0].Trim()} Check {RelayStorageConnection.SettingName}__credential and __clientId, and that the identity is assigned to this app.";
        }
        catch (Exception ex) when (LastFailure(ex, out var attempts) is { } failure)
        {
            var reason = failure.Message.Split('\n')[0].Trim();
            return failure.Status switch
            {
                0 => $"Storage unavailable: {where} could not be reached ({reason}) after {attempts} tries. Check {RelayStorageConnection.SettingName} (account name, endpoints) and the network path to the account.",
                403 when failure.ErrorCode == "AuthorizationPermissionMismatch" => $"Storage unavailable: {where} refused the identity ({failure.Status} {failure.ErrorCode}): it lacks a role. Grant it Storage Queue Data Contributor, Storage Blob Data Contributor and Storage Table Data Contributor on the account (or the relay's queue, container and table).",
                401 or 403 => $"Storage unavailable: {where} refused the credentials ({failure.Status} {failure.ErrorCode}). Check the key, SAS or identity in {RelayStorageConnection.SettingName} and that it allows queue, blob and table access.",
                _ => $"Storage unavailable: {where} answered {failure.Status} {failure.ErrorCode} ({reason}).",
            };
        }
    }

    private static RequestFailedException? LastFailure(Exception exception, out int attempts)
    {
        attempts = 1;
        if (exception is RequestFailedException failure)
        {
            return failure;
        }

        // A try that got no answer within the policy's NetworkTimeout is a TaskCanceledException in the aggregate.
        if (exception is AggregateException aggregate && aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => e is RequestFailedException or OperationCanceledException))
        {
            attempts = aggregate.InnerExceptions.Count;
            return aggregate.InnerExceptions[^1] as RequestFailedException ?? new RequestFailedException(0, "no answer: the request timed out", aggregate.InnerExceptions[^1]);
        }

        return null;
    }

    // A warning only: the smarthost may be down for a while, and the queue keeps the mail until it is back.
    private static async Task<string?> CheckSmarthostAsync(SmarthostSettings smarthost, CancellationToken cancellationToken)
    {
        var port = smarthost.Port != 0 ? smarthost.Port : 587;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(smarthost.Host, port, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = ex is SocketException socket ? socket.Message : "no answer within 3 s";
            return $"warning: the smarthost {smarthost.Host}:{port} cannot be reached now ({reason}); the host starts anyway and mail waits in the queue, retried with the backoff, until it can.";
        }
    }
}
