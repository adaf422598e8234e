using System.Management.Automation;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// The ErrorRecords of the relay operations cmdlets (Get-SmtpRelayQueue, Get-SmtpRelayFailure,
/// Resume-SmtpRelayFailure, Remove-SmtpRelayFailure, Find-SmtpRelayMessage). The ids are documented
/// in the help and the README; never rename one.
/// </summary>
internal static class RelayErrorRecords
{
    /// <summary>
    /// The ErrorRecord for a Storage failure of the relay: RelayEnqueueFailed for Send-SmtpMail -RelayQueue,
    /// RelayStorageFailed (RelayQueueNotFound for a missing queue) for the operations cmdlets. <paramref name="address"/>
    /// is the parameter that named the account when a token was used.
    /// </summary>
    public static ErrorRecord FromStorage(RelayStorageException exception, RelayStorageUse use, bool accessToken, string address = "-RelayAccountName or -RelayQueueServiceUri")
    {
        var enqueue = use == RelayStorageUse.Enqueue;
        var account = accessToken ? address : "-RelayConnectionString";
        if (!enqueue && exception.Kind == RelayStorageFailureKind.NotFound && exception.ErrorCode is null or "QueueNotFound")
        {
            return new ErrorRecord(exception, "RelayQueueNotFound", ErrorCategory.ObjectNotFound, exception.Queue)
            {
                ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = $"Check -RelayQueue (the relay's Relay:QueueName, e.g. smtpops-relay) and that {account} names the relay's Storage account." },
            };
        }

        var (category, advice) = exception.Kind switch
        {
            RelayStorageFailureKind.Unreachable => (ErrorCategory.ConnectionError, $"Check the account name and endpoints in {account} (a mistyped account does not resolve) and that this machine can reach the Storage account (network, firewall, private endpoint, DNS)."),
            RelayStorageFailureKind.AuthenticationFailed when accessToken => (ErrorCategory.AuthenticationError, "Check -RelayAccessToken: a Microsoft Entra token for Storage (Get-AzAccessToken -ResourceUrl https://storage.azure.com/), not expired, from the account's tenant."),
            RelayStorageFailureKind.AuthenticationFailed => (ErrorCategory.AuthenticationError, "Check the account key or SAS in -RelayConnectionString: it is wrong, expired or for another account."),
            RelayStorageFailureKind.PermissionDenied when accessToken || exception.ErrorCode == "AuthorizationPermissionMismatch" => (ErrorCategory.PermissionDenied, enqueue
                ? "Grant the identity the role 'Storage Queue Data Message Sender' (or Contributor) on the queue and 'Storage Blob Data Contributor' on its '<queue>-attachments' container, then try again (role assignments take a few minutes)."
                : "Grant the identity Storage Queue Data Contributor on the relay's queues, Storage Blob Data Contributor on '<queue>-attachments' and Storage Table Data Contributor on its ledger table (Reader is enough to look)."),
            RelayStorageFailureKind.PermissionDenied => (ErrorCategory.PermissionDenied, enqueue
                ? "Give the SAS or identity of -RelayConnectionString add permission on the queue and create/write on the '<queue>-attachments' blob container."
                : "Give the SAS or identity of -RelayConnectionString read, process and delete on the relay's queues, read/delete on '<queue>-attachments' and read on its ledger table."),
            RelayStorageFailureKind.InvalidConnectionString => (ErrorCategory.InvalidArgument, "Fix -RelayConnectionString: copy it from the Storage account's 'Access keys' (or a SAS connection string), or use 'UseDevelopmentStorage=true' for Azurite."),
            RelayStorageFailureKind.NotFound => (ErrorCategory.ObjectNotFound, enqueue
                ? $"Check -RelayQueue and the account in {account}; a SAS or identity without create permission needs the queue and its '<queue>-attachments' container to exist."
                : $"Check -RelayQueue and the account in {account}."),
            _ => (enqueue ? ErrorCategory.WriteError : ErrorCategory.ReadError, $"Check the Storage account's state and {(accessToken ? "-RelayAccessToken" : "-RelayConnectionString")}; run the command again later if the service reported a temporary problem."),
        };
        var message = exception.Kind == RelayStorageFailureKind.InvalidConnectionString ? "-RelayConnectionString: " + exception.Message : exception.Message;
        return new ErrorRecord(exception, enqueue ? "RelayEnqueueFailed" : "RelayStorageFailed", category, exception.Target)
        {
            ErrorDetails = new ErrorDetails(message) { RecommendedAction = advice },
        };
    }

    public static ErrorRecord FromInspection(RelayInspectionException exception)
    {
        var (id, category, advice) = exception.Error switch
        {
            RelayInspectionError.FailureNotFound => ("RelayFailureNotFound", ErrorCategory.ObjectNotFound, "Run Get-SmtpRelayFailure again: the record was re-sent or removed already."),
            RelayInspectionError.AlreadySent => ("RelayFailureAlreadySent", ErrorCategory.ResourceExists, "Nothing to do if the mail arrived; Find-SmtpRelayMessage shows when it was sent. Use -Force to send it once more, or Remove-SmtpRelayFailure to drop the record."),
            _ => ("RelayFailureNotResendable", ErrorCategory.InvalidData, "Remove-SmtpRelayFailure deletes the record; send the mail again from its source."),
        };
        return new ErrorRecord(exception, id, category, exception.Failure)
        {
            ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = advice },
        };
    }
}
