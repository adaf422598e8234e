using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Completion;

/// <summary>
/// Completes -RelayQueue with the account's queues (not the -failed and -poison ones) once -RelayConnectionString
/// is on the command line: one request, a few seconds at most; nothing when Storage does not answer.
/// </summary>
public sealed class RelayQueueCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters?["RelayConnectionString"] is not string connectionString || string.IsNullOrWhiteSpace(connectionString))
        {
            return Array.Empty<CompletionResult>();
        }

        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return RelayQueueInspector.ListQueuesAsync(connectionString, prefix, timeout.Token).GetAwaiter().GetResult()
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
