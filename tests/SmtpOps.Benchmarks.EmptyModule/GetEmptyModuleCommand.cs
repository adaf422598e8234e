using System.Management.Automation;

namespace SmtpOps.Benchmarks.EmptyModule;

/// <summary>The one cmdlet of the import benchmark's empty module.</summary>
[Cmdlet(VerbsCommon.Get, "EmptyModule")]
[OutputType(typeof(EmptyModuleResult))]
public sealed class GetEmptyModuleCommand : PSCmdlet
{
    /// <inheritdoc/>
    protected override void ProcessRecord() => WriteObject(new EmptyModuleResult());
}
