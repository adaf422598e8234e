using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Security;
using System.Threading;
using SmtpOps.PowerShell.Parameters;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Completion;

/// <summary>
/// Completes -RelayQueue with the account's queues (not the -failed and -poison ones) once -RelayConnectionString,
/// or -RelayAccessToken with -RelayAccountName or -RelayQueueServiceUri, is on the command line: one request, a few
/// seconds at most; nothing when Storage does not answer.
/// </summary>
public sealed class RelayQueueCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var connectionString = fakeBoundParameters?["RelayConnectionString"] as string;
        var token = fakeBoundParameters?["RelayAccessToken"] switch
        {
            SecureString secure => CredentialParameters.Unwrap(secure),
            string plain => plain,
            _ => null,
        };
        var queueService = fakeBoundParameters?["RelayQueueServiceUri"] switch
        {
            Uri uri => uri,
            string text when Uri.TryCreate(text, UriKind.Absolute, out var parsed) => parsed,
            _ => fakeBoundParameters?["RelayAccountName"] is string account && account.Length > 0 ? RelayStorage.QueueServiceUri(account) : null,
        };
        if (string.IsNullOrWhiteSpace(connectionString) && (string.IsNullOrEmpty(token) || queueService is null))
        {
            return Array.Empty<CompletionResult>();
        }

        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var names = string.IsNullOrWhiteSpace(connectionString)
                ? RelayQueueInspector.ListQueuesAsync(queueService!, token!, prefix, timeout.Token)
                : RelayQueueInspector.ListQueuesAsync(connectionString!, prefix, timeout.Token);
            return names.GetAwaiter().GetResult()
                .Select(name => new CompletionResult(name, name, CompletionResultType.ParameterValue, $"relay queue {name}"))
                .ToList();
        }
        catch (Exception ex) when (ex is RelayStorageException or OperationCanceledException || SmtpRelayClient.IsStorageFailure(ex, out _, out _))
        {
            // Completion never fails a command line: no suggestions.
            return Array.Empty<CompletionResult>();
        }
    }
}
