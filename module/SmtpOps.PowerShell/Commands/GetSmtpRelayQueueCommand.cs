using System.Management.Automation;
using SmtpOps.PowerShell.Completion;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Shows what a relay queue holds: waiting messages, the oldest one's age, dead-letter records, poison messages, claim-check blobs.</para>
/// <para type="description">One object per queue, read through SmtpOps.Core's RelayQueueInspector.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SmtpRelayQueue", DefaultParameterSetName = ConnectionStringSet)]
[OutputType(typeof(RelayQueueStatus))]
public sealed class GetSmtpRelayQueueCommand : RelayCommandBase
{
    /// <summary>Gets or sets the relay queues.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Queue")]
    [ArgumentCompleter(typeof(RelayQueueCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] RelayQueue { get; set; } = System.Array.Empty<string>();

    /// <summary>Reads each queue's status.</summary>
    protected override void ProcessRecord()
    {
        foreach (var queue in RelayQueue)
        {
            if (TryRun(queue, (inspector, ct) => inspector.GetStatusAsync(ct), out var status))
            {
                WriteObject(status);
            }
        }
    }
}
