namespace SmtpOps.Probing;

/// <summary>The verdict of one check, ordered from good to bad.</summary>
public enum ProbeVerdict
{
    /// <summary>The check found nothing wrong.</summary>
    Pass = 0,

    /// <summary>Worth a look: not broken, but weaker or riskier than it should be.</summary>
    Warn = 1,

    /// <summary>Broken or unsafe.</summary>
    Fail = 2,
}
