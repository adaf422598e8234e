using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// What the relay operations cmdlets share: the connection parameter of <c>Send-SmtpMail -RelayQueue</c>, one
/// <see cref="RelayQueueInspector"/> per queue, Ctrl+C, and Core's exceptions turned into ErrorRecords.
/// </summary>
public abstract class RelayCommandBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly Dictionary<string, RelayQueueInspector> inspectors = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the Storage connection string (account key or SAS) of the relay, as for Send-SmtpMail -RelayConnectionString.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string? RelayConnectionString { get; set; }

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose() => stopping.Dispose();

    /// <summary>Cancels the Storage requests in flight (Ctrl+C).</summary>
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Names a failure for -WhatIf and -Confirm.</summary>
    /// <param name="failure">The failure.</param>
    /// <returns>Its kind, record id, Message-ID and subject when known.</returns>
    protected static string Describe(RelayFailure failure)
    {
        var text = $"{failure.Kind} failure {failure.RecordId}";
        if (!string.IsNullOrEmpty(failure.MessageId))
        {
            text += $" (Message-ID {failure.MessageId})";
        }

        return string.IsNullOrEmpty(failure.Subject) ? text : $"{text} '{failure.Subject}'";
    }

    /// <summary>Runs one inspector call for a queue; Core's refusals become ErrorRecords.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="queue">The relay queue.</param>
    /// <param name="call">The call.</param>
    /// <param name="result">The result, when it succeeded.</param>
    /// <returns>Whether it succeeded; otherwise an error was written (or the pipeline stopped).</returns>
    protected bool TryRun<T>(string queue, Func<RelayQueueInspector, CancellationToken, Task<T>> call, out T result)
    {
        result = default!;
        try
        {
            if (!inspectors.TryGetValue(queue, out var inspector))
            {
                inspectors[queue] = inspector = RelayQueueInspector.Create(RelayConnectionString!, queue);
            }

            result = call(inspector, stopping.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (RelayInspectionException ex)
        {
            WriteError(RelayErrorRecords.FromInspection(ex));
        }
        catch (RelayStorageException ex) when (ex.Kind == RelayStorageFailureKind.NotFound)
        {
            // This queue: the next one in the pipeline may exist.
            WriteError(RelayErrorRecords.FromStorage(ex));
        }
        catch (RelayStorageException ex)
        {
            // The account refuses or cannot be reached: the same for every queue and record.
            ThrowTerminatingError(RelayErrorRecords.FromStorage(ex));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        return false;
    }
}
