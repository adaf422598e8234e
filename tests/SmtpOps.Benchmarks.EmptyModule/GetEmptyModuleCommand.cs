using System.Management.Automation;

namespace SmtpOps.Benchmarks.EmptyModule;

/// <summary>The one cmdlet of the import benchmark's empty module: writes 1.</summary>
[Cmdlet(VerbsCommon.Get, "EmptyModule")]
[OutputType(typeof(int))]
public sealed class GetEmptyModuleCommand : PSCmdlet
{
    /// <inheritdoc/>
    protected override void ProcessRecord() => WriteObject(1);
}
