using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.PowerShell.Parameters;
using SmtpOps.PowerShell.Transformation;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// What the relay operations cmdlets share: how they reach the relay's Storage account (a connection string as for
/// <c>Send-SmtpMail -RelayQueue</c>, or a Microsoft Entra token with the account's name or service URIs, for accounts
/// with shared keys disabled), one <see cref="RelayQueueInspector"/> per queue, Ctrl+C, and Core's exceptions turned
/// into ErrorRecords.
/// </summary>
public abstract class RelayCommandBase : PSCmdlet, IDisposable
{
    /// <summary>The parameter set of a Storage connection string (the default).</summary>
    protected const string ConnectionStringSet = "ConnectionString";

    /// <summary>The parameter set of an access token and an account in Azure's public cloud, by name.</summary>
    protected const string AccountNameSet = "AccessTokenAccountName";

    /// <summary>The parameter set of an access token and the account's service URIs (other clouds, private endpoints, Azurite).</summary>
    protected const string ServiceUriSet = "AccessTokenServiceUri";

    private readonly CancellationTokenSource stopping = new();
    private readonly Dictionary<string, RelayQueueInspector> inspectors = new(StringComparer.Ordinal);
    private Func<string, RelayQueueInspector>? createInspector;

    /// <summary>Gets or sets the Storage connection string (account key or SAS) of the relay, as for Send-SmtpMail -RelayConnectionString.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ConnectionStringSet)]
    [ValidateNotNullOrEmpty]
    public string? RelayConnectionString { get; set; }

    /// <summary>Gets or sets the relay's Storage account in Azure's public cloud, reached with -RelayAccessToken.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AccountNameSet)]
    [Alias("StorageAccountName")]
    [ValidatePattern("^[a-z0-9]{3,24}$")]
    public string? RelayAccountName { get; set; }

    /// <summary>Gets or sets the queue service of the relay's Storage account, reached with -RelayAccessToken.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ServiceUriSet)]
    [ValidateNotNull]
    public Uri? RelayQueueServiceUri { get; set; }

    /// <summary>Gets or sets the account's blob service; derived from an Azure -RelayQueueServiceUri when not given.</summary>
    [Parameter(ParameterSetName = ServiceUriSet)]
    [ValidateNotNull]
    public Uri? RelayBlobServiceUri { get; set; }

    /// <summary>Gets or sets the account's table service; derived from an Azure -RelayQueueServiceUri when not given.</summary>
    [Parameter(ParameterSetName = ServiceUriSet)]
    [ValidateNotNull]
    public Uri? RelayTableServiceUri { get; set; }

    /// <summary>Gets or sets a Microsoft Entra access token for Storage (Get-AzAccessToken -ResourceUrl https://storage.azure.com/).</summary>
    [Parameter(Mandatory = true, ParameterSetName = AccountNameSet)]
    [Parameter(Mandatory = true, ParameterSetName = ServiceUriSet)]
    [SecureStringTransformation]
    [ValidateNotNull]
    public SecureString? RelayAccessToken { get; set; }

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose() => stopping.Dispose();

    /// <summary>Settles how the account is reached; a token's services that cannot be derived end the command here.</summary>
    protected override void BeginProcessing()
    {
        if (ParameterSetName == ConnectionStringSet)
        {
            createInspector = queue => RelayQueueInspector.Create(RelayConnectionString!, queue);
            return;
        }

        var token = CredentialParameters.Unwrap(RelayAccessToken!);
        var queueService = RelayQueueServiceUri ?? RelayStorage.QueueServiceUri(RelayAccountName!);
        var blobService = RelayBlobServiceUri ?? RelayStorage.SiblingServiceUri(queueService, "blob");
        var tableService = RelayTableServiceUri ?? RelayStorage.SiblingServiceUri(queueService, "table");
        if (blobService is null || tableService is null)
        {
            var missing = blobService is null ? "-RelayBlobServiceUri" : "-RelayTableServiceUri";
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"The blob and table services of '{queueService}' cannot be derived from it (not an Azure *.queue.* endpoint)."), "RelayServiceUriRequired", ErrorCategory.InvalidArgument, queueService)
            {
                ErrorDetails = new ErrorDetails($"The blob and table services of '{queueService}' cannot be derived from it (not an Azure *.queue.* endpoint): give {missing}.") { RecommendedAction = "Give -RelayBlobServiceUri and -RelayTableServiceUri (the same account's blob and table endpoints)." },
            });
            return;
        }

        createInspector = queue => RelayQueueInspector.Create(queueService, token, queue, blobService, tableService);
    }

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
                inspectors[queue] = inspector = createInspector!(queue);
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
            WriteError(RelayErrorRecords.FromStorage(ex, RelayStorageUse.Operate, accessToken: RelayAccessToken is not null));
        }
        catch (RelayStorageException ex)
        {
            // The account refuses or cannot be reached: the same for every queue and record.
            ThrowTerminatingError(RelayErrorRecords.FromStorage(ex, RelayStorageUse.Operate, accessToken: RelayAccessToken is not null));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        return false;
    }
}
