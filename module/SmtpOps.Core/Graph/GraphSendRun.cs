using System.Diagnostics;

namespace SmtpOps.Graph;

/// <summary>
/// One message's send through Graph: its clock, and how many attempts it took (a retry, a renewed token or a new upload
/// session each add one), as reported on <see cref="GraphSendResult"/> and <see cref="GraphTransportException"/>.
/// </summary>
internal sealed class GraphSendRun
{
    public GraphSendRun(Stopwatch clock) => Clock = clock;

    public Stopwatch Clock { get; }

    public int Attempts { get; set; } = 1;
}
