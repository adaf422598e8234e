using System;

namespace SmtpOps.Spf;

/// <summary>Ends a check at once with permerror or temperror; the error is already recorded in <see cref="SpfCheckState.Errors"/>.</summary>
internal sealed class SpfCheckAborted : Exception
{
    public SpfCheckAborted(SpfResult result)
        : base(result.ToString()) => Result = result;

    public SpfResult Result { get; }
}
