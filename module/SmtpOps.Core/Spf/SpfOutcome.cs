namespace SmtpOps.Spf;

/// <summary>What one check_host() gave: the result, the deciding term, and the exp= of the record that decided.</summary>
internal sealed class SpfOutcome
{
    public SpfOutcome(SpfResult result, string? matched = null, string? explanation = null, SpfMacroContext? context = null)
    {
        Result = result;
        Matched = matched;
        Explanation = explanation;
        Context = context;
    }

    public SpfResult Result { get; }

    public string? Matched { get; }

    public string? Explanation { get; }

    public SpfMacroContext? Context { get; }
}
