using Xunit;

namespace SmtpOps.Tests.Graph;

/// <summary>Tests that measure this process's memory: xunit runs this collection alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "Memory measurement";
}
