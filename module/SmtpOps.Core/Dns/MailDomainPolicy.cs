using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>
/// A domain's mail-security records: MTA-STS, TLS-RPT, SPF and DMARC (DANE TLSA records belong to
/// each exchanger). A record that is absent is <c>null</c>; a malformed one is reported in
/// <see cref="Warnings"/>, never thrown.
/// </summary>
public sealed class MailDomainPolicy
{
    /// <summary>Creates the policy.</summary>
    /// <param name="domain">The mail domain.</param>
    /// <param name="mtaSts">The MTA-STS record and policy, or <c>null</c>.</param>
    /// <param name="tlsReporting">The TLS-RPT record, or <c>null</c>.</param>
    /// <param name="spf">The SPF record, or <c>null</c>.</param>
    /// <param name="dmarc">The DMARC record, or <c>null</c>.</param>
    /// <param name="warnings">Malformed or conflicting records, and lookups that failed.</param>
    public MailDomainPolicy(string domain, MtaStsPolicy? mtaSts, TlsReportingPolicy? tlsReporting, SpfRecord? spf, DmarcPolicy? dmarc, IEnumerable<string> warnings)
    {
        Domain = domain;
        MtaSts = mtaSts;
        TlsReporting = tlsReporting;
        Spf = spf;
        Dmarc = dmarc;
        Warnings = warnings.ToList().AsReadOnly();
    }

    /// <summary>Gets the mail domain.</summary>
    public string Domain { get; }

    /// <summary>Gets the MTA-STS record and, where reachable, its policy; <c>null</c> without a _mta-sts record.</summary>
    public MtaStsPolicy? MtaSts { get; }

    /// <summary>Gets the TLS reporting record; <c>null</c> without one.</summary>
    public TlsReportingPolicy? TlsReporting { get; }

    /// <summary>Gets the SPF record; <c>null</c> without one (or with several, which is an error reported in warnings).</summary>
    public SpfRecord? Spf { get; }

    /// <summary>Gets the DMARC record; <c>null</c> without one.</summary>
    public DmarcPolicy? Dmarc { get; }

    /// <summary>
    /// Gets the SPF records evaluated (RFC 7208): the tree through include and redirect, the DNS-lookup and
    /// void-lookup counts against their limits, and errors with their RFC section; <c>null</c> when not evaluated.
    /// </summary>
    public SmtpOps.Spf.SpfEvaluation? SpfEvaluation { get; init; }

    /// <summary>Gets malformed or conflicting records and lookups that failed.</summary>
    public IReadOnlyList<string> Warnings { get; }
}
