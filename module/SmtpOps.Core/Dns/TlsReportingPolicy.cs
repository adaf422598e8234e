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
    {
        Record = record;
        ReportUris = reportUris.ToList().AsReadOnly();
    }

    /// <summary>Gets the TXT record, e.g. "v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com".</summary>
    public string Record { get; }

    /// <summary>Gets where reports go (mailto: or https: URIs).</summary>
    public IReadOnlyList<string> ReportUris { get; }

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

        return new TlsReportingPolicy(records[0], uris);
    }
}
