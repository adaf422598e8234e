using System.Diagnostics;
using System.Management.Automation;

namespace SmtpOps.PowerShell.Commands.Delivery;

/// <summary>
/// Writes what each delivery route reports to Send-SmtpMail's pipeline: the result (with -PassThru), errors, the
/// running "N sent, N failed" progress and its completion.
/// </summary>
internal sealed class DeliveryOutput
{
    private const string Activity = "Send-SmtpMail";
    private readonly Stopwatch progressClock = Stopwatch.StartNew();
    private readonly bool passThru;
    private int sent;
    private int failed;

    public DeliveryOutput(Cmdlet cmdlet, bool passThru)
    {
        Cmdlet = cmdlet;
        this.passThru = passThru;
    }

    /// <summary>Gets the cmdlet whose pipeline is written to (its type names every error id).</summary>
    public Cmdlet Cmdlet { get; }

    /// <summary>Counts a message as sent, writes its result with -PassThru and refreshes the progress.</summary>
    public void Sent(object result, string subject)
    {
        sent++;
        if (passThru)
        {
            Cmdlet.WriteObject(result);
        }

        WriteProgress(subject);
    }

    /// <summary>Counts a message as failed and writes its error; the pipeline goes on.</summary>
    public void Failed(ErrorRecord record)
    {
        failed++;
        Cmdlet.WriteError(record);
    }

    /// <summary>Counts a message as failed and ends the pipeline with its error.</summary>
    public void FailedForAll(ErrorRecord record)
    {
        failed++;
        Cmdlet.ThrowTerminatingError(record);
    }

    /// <summary>Ends the pipeline with an error about the route itself, not about one message.</summary>
    public void Stop(ErrorRecord record) => Cmdlet.ThrowTerminatingError(record);

    /// <summary>Closes the progress line of a pipeline of more than one message.</summary>
    public void Complete()
    {
        if (sent + failed > 1)
        {
            Cmdlet.WriteProgress(new ProgressRecord(1, Activity, $"{sent} sent, {failed} failed") { RecordType = ProgressRecordType.Completed });
        }
    }

    private void WriteProgress(string subject)
    {
        // Pipelines of many messages get a progress line; refresh it at most every 200 ms.
        if (sent + failed < 2 || progressClock.ElapsedMilliseconds < 200)
        {
            return;
        }

        progressClock.Restart();
        Cmdlet.WriteProgress(new ProgressRecord(1, Activity, $"{sent} sent, {failed} failed") { CurrentOperation = subject });
    }
}
