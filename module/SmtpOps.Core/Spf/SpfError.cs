namespace SmtpOps.Spf;

/// <summary>A problem found while evaluating SPF records, with the RFC 7208 section that it breaks.</summary>
public sealed class SpfError
{
    /// <summary>Creates the error.</summary>
    /// <param name="domain">The domain whose record has the problem.</param>
    /// <param name="term">The term concerned, or <c>null</c> for the record as a whole.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="section">The RFC 7208 section, e.g. "4.6.4".</param>
    /// <param name="result">The result the problem gives (permerror or temperror).</param>
    public SpfError(string domain, string? term, string message, string section, SpfResult result)
    {
        Domain = domain;
        Term = term;
        Message = message;
        Section = section;
        Result = result;
    }

    /// <summary>Gets the domain whose record has the problem.</summary>
    public string Domain { get; }

    /// <summary>Gets the term concerned, or <c>null</c> for the record as a whole.</summary>
    public string? Term { get; }

    /// <summary>Gets what is wrong.</summary>
    public string Message { get; }

    /// <summary>Gets the RFC 7208 section, e.g. "4.6.4".</summary>
    public string Section { get; }

    /// <summary>Gets the result the problem gives: <see cref="SpfResult.PermError"/> or <see cref="SpfResult.TempError"/>.</summary>
    public SpfResult Result { get; }

    /// <summary>The error as one line: "permerror at contoso.com (include:x): ... (RFC 7208 section 4.6.4)".</summary>
    /// <returns>The line.</returns>
    public override string ToString() =>
        $"{Result.ToString().ToLowerInvariant()} at {Domain}{(Term is null ? string.Empty : $" ({Term})")}: {Message} (RFC 7208 section {Section})";
}
