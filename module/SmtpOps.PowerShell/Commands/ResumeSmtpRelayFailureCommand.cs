using System.Management.Automation;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Re-sends failed relay messages: puts each one's original envelope back on its relay queue, with its claim-check blobs, and removes the record.</para>
/// <para type="description">A message the ledger does not record as sent keeps its idempotency key and is sent once; one the ledger records as sent is refused (RelayFailureAlreadySent) unless -Force.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Resume, "SmtpRelayFailure", DefaultParameterSetName = ConnectionStringSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RelayEnqueueResult))]
public sealed class ResumeSmtpRelayFailureCommand : RelayCommandBase
{
    /// <summary>Gets or sets the failures, from Get-SmtpRelayFailure.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public RelayFailure[] InputObject { get; set; } = System.Array.Empty<RelayFailure>();

    /// <summary>Gets or sets whether a message the ledger records as sent is sent once more.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Re-sends each failure.</summary>
    protected override void ProcessRecord()
    {
        foreach (var failure in InputObject)
        {
            if (!ShouldProcess(Describe(failure), $"Re-send to relay queue '{failure.Queue}'"))
            {
                continue;
            }

            if (TryRun(failure.Queue, (inspector, ct) => inspector.ResendAsync(failure, Force, ct), out var queued))
            {
                WriteObject(queued);
            }
        }
    }
}
