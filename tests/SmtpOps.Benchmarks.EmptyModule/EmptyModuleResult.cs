namespace SmtpOps.Benchmarks.EmptyModule;

/// <summary>What Get-EmptyModule writes: a type with a format view of its own, as SmtpOps' results have.</summary>
public sealed class EmptyModuleResult
{
    /// <summary>Gets the value, always 1.</summary>
    public int Value { get; } = 1;
}
