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
}
