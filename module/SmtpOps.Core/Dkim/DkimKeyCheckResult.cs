namespace SmtpOps.Dkim;

/// <summary>What the DNS publishes for a DKIM selector, and whether it is the given key.</summary>
public sealed class DkimKeyCheckResult
{
    /// <summary>Creates the result.</summary>
    /// <param name="domain">The signing domain.</param>
    /// <param name="selector">The selector.</param>
    /// <param name="status">The verdict.</param>
    /// <param name="record">The published record text, or <c>null</c>.</param>
    /// <param name="keyType">The published key type (k=), or <c>null</c>.</param>
    /// <param name="keyAlgorithm">The given key's algorithm ("rsa-sha256", "ed25519-sha256"), or <c>null</c> without a key.</param>
    /// <param name="message">The verdict in words, with the fix when there is one.</param>
    public DkimKeyCheckResult(string domain, string selector, DkimKeyCheckStatus status, string? record, string? keyType, string? keyAlgorithm, string message)
    {
        Domain = domain;
        Selector = selector;
        Status = status;
        Record = record;
        KeyType = keyType;
        KeyAlgorithm = keyAlgorithm;
        Message = message;
    }

    /// <summary>Gets the signing domain.</summary>
    public string Domain { get; }

    /// <summary>Gets the selector.</summary>
    public string Selector { get; }

    /// <summary>Gets the record's name: &lt;selector&gt;._domainkey.&lt;domain&gt;.</summary>
    public string RecordName => $"{Selector}._domainkey.{Domain}";

    /// <summary>Gets the verdict.</summary>
    public DkimKeyCheckStatus Status { get; }

    /// <summary>Gets whether the published record holds the given key (<see cref="DkimKeyCheckStatus.Match"/>).</summary>
    public bool Matches => Status == DkimKeyCheckStatus.Match;

    /// <summary>Gets the published record text, or <c>null</c> when none was found.</summary>
    public string? Record { get; }

    /// <summary>Gets the published key type (k=), or <c>null</c>.</summary>
    public string? KeyType { get; }

    /// <summary>Gets the given key's algorithm, or <c>null</c> when no key was given.</summary>
    public string? KeyAlgorithm { get; }

    /// <summary>Gets the verdict in words.</summary>
    public string Message { get; }
}
