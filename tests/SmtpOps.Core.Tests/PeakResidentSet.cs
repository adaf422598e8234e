using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace SmtpOps.Tests;

/// <summary>
/// The test process's peak resident set (Linux /proc), to bound how much one operation against a hostile peer may grow it:
/// <see cref="Reset"/> before, <see cref="GrowthSince"/> after.
/// </summary>
internal static class PeakResidentSet
{
    /// <summary>Resets the peak (VmHWM) to the current resident set: writing 5 to /proc/self/clear_refs (proc(5)).</summary>
    /// <returns>The current resident set in bytes, the baseline for <see cref="GrowthSince"/>.</returns>
    public static long Reset()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Status("VmRSS");
    }

    /// <summary>Gets how far the peak rose above a baseline from <see cref="Reset"/>.</summary>
    /// <param name="baseline">The resident set <see cref="Reset"/> returned.</param>
    /// <returns>Bytes.</returns>
    public static long GrowthSince(long baseline) => Status("VmHWM") - baseline;

    private static long Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Substring(field.Length + 1).Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
