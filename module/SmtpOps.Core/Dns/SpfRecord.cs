using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace SmtpOps.Dns;

/// <summary>A domain's SPF record (RFC 7208): the TXT record at the domain that starts with v=spf1.</summary>
public sealed class SpfRecord
{
    private static readonly Regex AllMechanismPattern = new("^[+\\-~?]?all$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    /// <summary>Creates the record.</summary>
    /// <param name="record">The TXT record text.</param>
    /// <param name="allMechanism">The trailing all mechanism with its qualifier (-all, ~all, ?all, +all), or <c>null</c>.</param>
    public SpfRecord(string record, string? allMechanism)
    {
        Record = record;
        AllMechanism = allMechanism;
    }

    /// <summary>Gets the TXT record, e.g. "v=spf1 mx include:spf.protection.outlook.com -all".</summary>
    public string Record { get; }

    /// <summary>Gets the all mechanism with its qualifier (-all, ~all, ?all, +all), or <c>null</c> when there is none.</summary>
    public string? AllMechanism { get; }

    /// <summary>
    /// Finds and parses the domain's SPF record among the TXT texts at the domain. Several SPF
    /// records are a permanent error (RFC 7208 section 4.5) and give none; an SPF record that
    /// authorises every host (all, +all) is kept, with a warning.
    /// </summary>
    /// <param name="domain">The domain, for the warnings.</param>
    /// <param name="texts">Every TXT text at the domain.</param>
    /// <param name="warnings">Where problems with the record are added.</param>
    /// <returns>The record, or <c>null</c> when there is none or more than one.</returns>
    internal static SpfRecord? Parse(string domain, IEnumerable<string> texts, ICollection<string> warnings)
    {
        var records = TxtRecordSyntax.WithVersion(texts, "v=spf1");
        if (records.Count > 1)
        {
            warnings.Add($"{domain} publishes {records.Count} SPF records; receivers treat that as a permanent error (RFC 7208 section 4.5): {string.Join(" | ", records)}");
            return null;
        }

        if (records.Count == 0)
        {
            return null;
        }

        var terms = records[0].Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        var all = terms.LastOrDefault(t => AllMechanismPattern.IsMatch(t));
        if (all is "all" or "+all")
        {
            warnings.Add($"The SPF record of {domain} ends with {all}: it authorises every host in the world to send as {domain}.");
        }

        return new SpfRecord(records[0], all);
    }
}
