namespace SmtpOps.Probing;

/// <summary>One check of a probe, e.g. "Certificate expiry: Warn, expires in 9 days".</summary>
public sealed class ProbeCheck
{
    /// <summary>Creates a check.</summary>
    /// <param name="name">The check's stable name.</param>
    /// <param name="verdict">The verdict.</param>
    /// <param name="reason">A short reason.</param>
    public ProbeCheck(string name, ProbeVerdict verdict, string reason)
    {
        Name = name;
        Verdict = verdict;
        Reason = reason;
    }

    /// <summary>Gets the check's stable name (e.g. "STARTTLS", "Certificate name", "Open relay").</summary>
    public string Name { get; }

    /// <summary>Gets the verdict.</summary>
    public ProbeVerdict Verdict { get; }

    /// <summary>Gets a short reason.</summary>
    public string Reason { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Verdict} {Name}: {Reason}";
}
