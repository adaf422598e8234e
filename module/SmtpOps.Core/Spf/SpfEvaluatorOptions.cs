namespace SmtpOps.Spf;

/// <summary>How <see cref="SpfEvaluator"/> checks.</summary>
public sealed record SpfEvaluatorOptions
{
    /// <summary>Gets the explanation given for a fail when the record has none (default <c>null</c>: no explanation).</summary>
    public string? DefaultExplanation { get; init; }

    /// <summary>Gets the receiving host's name, for the %{r} macro of explanations (default "unknown").</summary>
    public string ReceiverName { get; init; } = "unknown";
}
