using System.Diagnostics;

namespace SmtpOps.Acs;

/// <summary>One message's send through ACS: its clock and how many HTTP attempts it took (a retry or a renewed token adds one).</summary>
internal sealed class AcsSendRun
{
    public AcsSendRun(Stopwatch clock) => Clock = clock;

    public Stopwatch Clock { get; }

    public int Attempts { get; set; } = 1;

    public int Polls { get; set; }
}
