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
    public static ErrorRecord FromStorage(RelayStorageException exception, bool accessToken)
    {
        var account = accessToken ? "-RelayAccountName or -RelayQueueServiceUri" : "-RelayConnectionString";
        if (exception.Kind == RelayStorageFailureKind.NotFound && exception.ErrorCode is null or "QueueNotFound")
        {
            return new ErrorRecord(exception, "RelayQueueNotFound", ErrorCategory.ObjectNotFound, exception.Queue)
            {
                ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = $"Check -RelayQueue (the relay's Relay:QueueName, e.g. smtpops-relay) and that {account} names the relay's Storage account." },
            };
        }

        var (category, advice) = exception.Kind switch
        {
            RelayStorageFailureKind.Unreachable => (ErrorCategory.ConnectionError, $"Check the account name and endpoints in {account} and that this machine can reach the Storage account (network, firewall, private endpoint, DNS)."),
            RelayStorageFailureKind.AuthenticationFailed when accessToken => (ErrorCategory.AuthenticationError, "Check -RelayAccessToken: a Microsoft Entra token for Storage (Get-AzAccessToken -ResourceUrl https://storage.azure.com/), not expired, from the account's tenant."),
            RelayStorageFailureKind.AuthenticationFailed => (ErrorCategory.AuthenticationError, "Check the account key or SAS in -RelayConnectionString: it is wrong, expired or for another account."),
            RelayStorageFailureKind.PermissionDenied when accessToken => (ErrorCategory.PermissionDenied, "Grant the identity of -RelayAccessToken Storage Queue Data Contributor on the relay's queues, Storage Blob Data Contributor on '<queue>-attachments' and Storage Table Data Contributor on its ledger table (Reader is enough to look)."),
            RelayStorageFailureKind.PermissionDenied => (ErrorCategory.PermissionDenied, "Give the SAS or identity of -RelayConnectionString read, process and delete on the relay's queues, read/delete on '<queue>-attachments' and read on its ledger table."),
            RelayStorageFailureKind.InvalidConnectionString => (ErrorCategory.InvalidArgument, "Fix -RelayConnectionString: copy it from the Storage account's 'Access keys', or use 'UseDevelopmentStorage=true' for Azurite."),
            RelayStorageFailureKind.NotFound => (ErrorCategory.ObjectNotFound, $"Check -RelayQueue and the account in {account}."),
            _ => (ErrorCategory.ReadError, "Check the Storage account's state; run the command again later if the service reported a temporary problem."),
        };
        var message = exception.Kind == RelayStorageFailureKind.InvalidConnectionString ? "-RelayConnectionString: " + exception.Message : exception.Message;
        return new ErrorRecord(exception, "RelayStorageFailed", category, exception.Target)
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
