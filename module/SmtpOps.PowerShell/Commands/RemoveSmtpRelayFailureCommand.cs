using System.Management.Automation;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Deletes failed relay messages for good: each record and its claim-check blobs, nothing else.</para>
/// <para type="description">ConfirmImpact High: asks before each deletion unless -Confirm:$false.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SmtpRelayFailure", DefaultParameterSetName = ConnectionStringSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RelayFailure))]
public sealed class RemoveSmtpRelayFailureCommand : RelayCommandBase
{
    /// <summary>Gets or sets the failures, from Get-SmtpRelayFailure.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public RelayFailure[] InputObject { get; set; } = System.Array.Empty<RelayFailure>();

    /// <summary>Gets or sets whether each removed failure is written out.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Removes each failure.</summary>
    protected override void ProcessRecord()
    {
        foreach (var failure in InputObject)
        {
            if (!ShouldProcess($"{Describe(failure)} and its {failure.Blobs.Count} blob(s)", $"Remove from relay queue '{failure.Queue}'"))
            {
                continue;
            }

            if (TryRun(failure.Queue, (inspector, ct) => inspector.RemoveAsync(failure, ct), out var blobs))
            {
                WriteVerbose($"Removed record {failure.RecordId} from {failure.RecordQueue} and {blobs.Count} blob(s).");
                if (PassThru)
                {
                    WriteObject(failure);
                }
            }
        }
    }
}
