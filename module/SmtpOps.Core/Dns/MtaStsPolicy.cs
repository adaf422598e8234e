using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace SmtpOps.Dns;

/// <summary>
/// A domain's MTA-STS (RFC 8461): the _mta-sts TXT record that announces a policy and, where the
/// policy host was reachable, the policy file from https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt.
/// </summary>
public sealed class MtaStsPolicy
{
    // RFC 8461 section 3.1: the id is 1 to 32 letters and digits.
    private static readonly Regex IdPattern = new("^[A-Za-z0-9]{1,32}$", RegexOptions.CultureInvariant);

    // RFC 8461 section 3.2: max_age is at most 31557600 seconds (about a year).
    private const long MaxAgeLimit = 31557600;

    /// <summary>Creates the policy.</summary>
    /// <param name="record">The _mta-sts TXT record text.</param>
    /// <param name="id">The policy id from the TXT record, or <c>null</c> when it is missing.</param>
    /// <param name="mode">The policy mode (enforce, testing, none), when the policy file was fetched.</param>
    /// <param name="mxPatterns">The mx patterns of the policy file.</param>
    /// <param name="maxAge">The policy's max_age in seconds, when fetched.</param>
    /// <param name="fetchError">Why the policy file could not be fetched, or <c>null</c>.</param>
    public MtaStsPolicy(string record, string? id, string? mode, IEnumerable<string> mxPatterns, long? maxAge, string? fetchError)
    {
        Record = record ?? throw new ArgumentNullException(nameof(record));
        Id = id;
        Mode = mode;
        MxPatterns = mxPatterns.ToList().AsReadOnly();
        MaxAge = maxAge;
        FetchError = fetchError;
    }

    /// <summary>Gets the _mta-sts TXT record, e.g. "v=STSv1; id=20240101T000000".</summary>
    public string Record { get; }

    /// <summary>Gets the policy id from the TXT record, or <c>null</c> when the record lacks one.</summary>
    public string? Id { get; }

    /// <summary>Gets the mode from the policy file (enforce, testing or none), or <c>null</c> when it was not fetched.</summary>
    public string? Mode { get; }

    /// <summary>Gets the mx patterns from the policy file (e.g. "*.mail.contoso.com").</summary>
    public IReadOnlyList<string> MxPatterns { get; }

    /// <summary>Gets the policy's max_age in seconds, or <c>null</c> when it was not fetched.</summary>
    public long? MaxAge { get; }

    /// <summary>Gets whether the policy file was fetched and parsed.</summary>
    public bool IsFetched => FetchError is null && Mode is not null;

    /// <summary>Gets why the policy file was not fetched ("unreachable: ..."), or <c>null</c>.</summary>
    public string? FetchError { get; }

    /// <summary>
    /// Finds and parses the _mta-sts record among the TXT texts at _mta-sts.&lt;domain&gt;: the
    /// announcement of a policy, not yet fetched. Several records mean no policy (RFC 8461
    /// section 3.1); a record without a valid id is kept, not to be fetched, with a warning.
    /// </summary>
    /// <param name="domain">The domain, for the warnings.</param>
    /// <param name="texts">Every TXT text at _mta-sts.&lt;domain&gt;.</param>
    /// <param name="warnings">Where problems with the record are added.</param>
    /// <returns>The announced policy, or <c>null</c> when there is no record or more than one.</returns>
    internal static MtaStsPolicy? Parse(string domain, IEnumerable<string> texts, ICollection<string> warnings)
    {
        var records = TxtRecordSyntax.WithVersion(texts, "v=STSv1");
        if (records.Count > 1)
        {
            warnings.Add($"{domain} publishes {records.Count} _mta-sts records; senders then treat it as having no MTA-STS policy (RFC 8461 section 3.1).");
            return null;
        }

        if (records.Count == 0)
        {
            return null;
        }

        TxtRecordSyntax.Tags(records[0]).TryGetValue("id", out var id);
        if (id is null || !IdPattern.IsMatch(id))
        {
            warnings.Add($"The _mta-sts record of {domain} has no valid id= tag (1 to 32 letters and digits): '{records[0]}'.");
            return new MtaStsPolicy(records[0], null, null, Array.Empty<string>(), null, "not fetched: the _mta-sts record is invalid");
        }

        return new MtaStsPolicy(records[0], id, null, Array.Empty<string>(), null, null);
    }

    /// <summary>Gets whether a mail exchanger matches one of the policy's mx patterns, as senders enforcing it require.</summary>
    /// <param name="exchange">The MX host name.</param>
    /// <returns><c>true</c> when a pattern matches.</returns>
    internal bool Matches(string exchange) => MxPatterns.Any(p => MatchesPattern(exchange, p));

    /// <summary>This announced policy, with why its policy file was not fetched.</summary>
    /// <param name="reason">Why, e.g. "unreachable: ..." or "not fetched (disabled)".</param>
    /// <returns>The policy with <see cref="FetchError"/> set.</returns>
    internal MtaStsPolicy NotFetched(string reason) => new(Record, Id, null, Array.Empty<string>(), null, reason);

    /// <summary>
    /// This announced policy with its fetched policy file (RFC 8461 section 3.2). A file that lacks the
    /// version, a valid mode or a valid max_age is reported in warnings; in enforce or testing mode,
    /// every MX host that matches no mx pattern is reported, since senders enforcing the policy skip it.
    /// </summary>
    /// <param name="domain">The domain, for the warnings.</param>
    /// <param name="policyFile">The body of https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt.</param>
    /// <param name="exchanges">The domain's MX host names.</param>
    /// <param name="warnings">Where problems with the file are added.</param>
    /// <returns>The policy with the file's mode, mx patterns and max_age.</returns>
    internal MtaStsPolicy WithPolicyFile(string domain, string policyFile, IEnumerable<string> exchanges, ICollection<string> warnings)
    {
        var fields = ParsePolicyFile(policyFile);
        string? Field(string key) => fields.Where(f => f.Key == key).Select(f => f.Value).FirstOrDefault();
        var mode = Field("mode");
        var patterns = fields.Where(f => f.Key == "mx").Select(f => f.Value.ToLowerInvariant()).ToList();
        long? maxAge = long.TryParse(Field("max_age"), NumberStyles.None, CultureInfo.InvariantCulture, out var age) ? age : null;
        if (Field("version") != "STSv1")
        {
            warnings.Add($"The MTA-STS policy of {domain} lacks 'version: STSv1'.");
        }

        if (mode is not ("enforce" or "testing" or "none"))
        {
            warnings.Add($"The MTA-STS policy of {domain} has no valid mode (enforce, testing or none): '{mode}'.");
        }

        if (maxAge is null or > MaxAgeLimit)
        {
            warnings.Add($"The MTA-STS policy of {domain} has no valid max_age (0 to 31557600 seconds).");
        }

        var policy = new MtaStsPolicy(Record, Id, mode, patterns, maxAge, null);
        if (mode is "enforce" or "testing")
        {
            foreach (var exchange in exchanges.Where(e => !policy.Matches(e)))
            {
                warnings.Add($"The MX {exchange} matches no mx pattern of the MTA-STS policy of {domain}: senders enforcing the policy will not deliver to it.");
            }
        }

        return policy;
    }

    /// <summary>Parses "key: value" lines (RFC 8461 section 3.2); keys lower-cased, values trimmed, order kept.</summary>
    /// <param name="body">The policy file.</param>
    /// <returns>The fields; a key may repeat (mx).</returns>
    internal static List<KeyValuePair<string, string>> ParsePolicyFile(string body) =>
        body.Split('\n')
            .Select(line => line.TrimEnd('\r'))
            .Select(line => (Line: line, Colon: line.IndexOf(':')))
            .Where(x => x.Colon > 0)
            .Select(x => new KeyValuePair<string, string>(x.Line.Substring(0, x.Colon).Trim().ToLowerInvariant(), x.Line.Substring(x.Colon + 1).Trim()))
            .ToList();

    /// <summary>An mx pattern is a host name or "*." and a host name, the wildcard standing for exactly one label (RFC 8461 section 4.1).</summary>
    /// <param name="host">The MX host name.</param>
    /// <param name="pattern">The mx pattern.</param>
    /// <returns><c>true</c> when the pattern matches the host.</returns>
    internal static bool MatchesPattern(string host, string pattern)
    {
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var dot = host.IndexOf('.');
            return dot > 0 && string.Equals(host.Substring(dot + 1), pattern.Substring(2), StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase);
    }
}
