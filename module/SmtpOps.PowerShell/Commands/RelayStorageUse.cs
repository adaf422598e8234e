namespace SmtpOps.PowerShell.Commands;

/// <summary>What a cmdlet was doing with the relay's Storage when it failed: it decides the error id and the rights the advice names.</summary>
internal enum RelayStorageUse
{
    /// <summary>Send-SmtpMail -RelayQueue putting a message on the queue (RelayEnqueueFailed).</summary>
    Enqueue,

    /// <summary>The relay operations cmdlets looking at or changing the queues, records and ledger (RelayStorageFailed).</summary>
    Operate,
}
