using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>A domain's SMTP TLS reporting record (RFC 8460, _smtp._tls TXT).</summary>
public sealed class TlsReportingPolicy
{
    /// <summary>Creates the record.</summary>
    /// <param name="record">The TXT record text.</param>
    /// <param name="reportUris">Where reports go (the rua tag).</param>
    public TlsReportingPolicy(string record, IEnumerable<string> reportUris)
        : this(record, reportUris, Array.Empty<string>())
    {
    }

    /// <summary>Creates the record with the report URIs senders cannot use.</summary>
    /// <param name="record">The TXT record text.</param>
    /// <param name="reportUris">Where reports go (the rua tag), as listed.</param>
    /// <param name="invalidReportUris">The listed URIs that are neither mailto: with a valid address nor https: (RFC 8460 section 3).</param>
    public TlsReportingPolicy(string record, IEnumerable<string> reportUris, IEnumerable<string> invalidReportUris)
    {
        Record = record;
        ReportUris = reportUris.ToList().AsReadOnly();
        InvalidReportUris = invalidReportUris.ToList().AsReadOnly();
    }

    /// <summary>Gets the TXT record, e.g. "v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com".</summary>
    public string Record { get; }

    /// <summary>Gets where reports go (mailto: or https: URIs), as listed.</summary>
    public IReadOnlyList<string> ReportUris { get; }

    /// <summary>Gets the listed URIs senders cannot use: not mailto: with one valid address, nor https: (RFC 8460 section 3).</summary>
    public IReadOnlyList<string> InvalidReportUris { get; }

    /// <summary>Gets whether at least one listed URI is one senders can send reports to.</summary>
    public bool IsUsable => ReportUris.Count > InvalidReportUris.Count;

    /// <summary>
    /// Finds and parses the TLS-RPT record among the TXT texts at _smtp._tls.&lt;domain&gt;. Several
    /// records give none (RFC 8460 section 3); one without rua= is kept, with a warning.
    /// </summary>
    /// <param name="domain">The domain, for the warnings.</param>
    /// <param name="texts">Every TXT text at _smtp._tls.&lt;domain&gt;.</param>
    /// <param name="warnings">Where problems with the record are added.</param>
    /// <returns>The record, or <c>null</c> when there is none or more than one.</returns>
    internal static TlsReportingPolicy? Parse(string domain, IEnumerable<string> texts, ICollection<string> warnings)
    {
        var records = TxtRecordSyntax.WithVersion(texts, "v=TLSRPTv1");
        if (records.Count > 1)
        {
            warnings.Add($"{domain} publishes {records.Count} TLS-RPT records; senders then send no reports (RFC 8460 section 3).");
            return null;
        }

        if (records.Count == 0)
        {
            return null;
        }

        var uris = TxtRecordSyntax.Uris(TxtRecordSyntax.Tags(records[0]), "rua");
        if (uris.Count == 0)
        {
            warnings.Add($"The TLS-RPT record of {domain} has no rua= tag: '{records[0]}'.");
        }

        // RFC 8460 section 3: rua lists mailto: (one address) and https: URIs, nothing else.
        var invalid = new List<string>();
        foreach (var uri in uris)
        {
            var scheme = ReportUriSyntax.Scheme(uri);
            var problem = scheme switch
            {
                "mailto" => ReportUriSyntax.TryParseMailto(uri, out _, out _) ? null : "a mailto: URI without one valid address",
                "https" => ReportUriSyntax.TryParseHttps(uri, out _) ? null : "not a valid https: URI",
                null => "not a URI",
                _ => $"a URI with the {scheme} scheme",
            };
            if (problem is not null)
            {
                invalid.Add(uri);
                warnings.Add($"The TLS-RPT record of {domain} lists rua={uri}, {problem}: only mailto: with an address and https: are allowed (RFC 8460 section 3); senders send no reports there.");
            }
        }

        return new TlsReportingPolicy(records[0], uris, invalid);
    }
}
