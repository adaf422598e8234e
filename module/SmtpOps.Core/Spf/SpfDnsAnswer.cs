using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Spf;

/// <summary>
/// The answer to one DNS query of SPF evaluation: the status and the records of the asked type in
/// presentation form (TXT: the record's strings joined, RFC 7208 section 3.3; A/AAAA: the address;
/// MX and PTR: the target name). CNAMEs are already followed.
/// </summary>
public sealed class SpfDnsAnswer
{
    /// <summary>Creates the answer.</summary>
    /// <param name="status">How the query ended.</param>
    /// <param name="records">The records of the asked type.</param>
    /// <param name="failure">What failed, for <see cref="SpfDnsStatus.Failure"/>.</param>
    public SpfDnsAnswer(SpfDnsStatus status, IEnumerable<string> records, string? failure = null)
    {
        Status = status;
        Records = records.ToList().AsReadOnly();
        Failure = failure;
    }

    /// <summary>Gets how the query ended.</summary>
    public SpfDnsStatus Status { get; }

    /// <summary>Gets the records of the asked type; empty on NXDOMAIN, NODATA and failures.</summary>
    public IReadOnlyList<string> Records { get; }

    /// <summary>Gets what failed (e.g. "SERVFAIL", "timeout"), for a failure.</summary>
    public string? Failure { get; }

    /// <summary>Gets whether the lookup found nothing (NXDOMAIN or NODATA): a void lookup (RFC 7208 section 4.6.4).</summary>
    public bool IsVoid => Status != SpfDnsStatus.Failure && Records.Count == 0;

    /// <summary>An answer with records (NOERROR).</summary>
    /// <param name="records">The records.</param>
    /// <returns>The answer.</returns>
    public static SpfDnsAnswer Found(IEnumerable<string> records) => new(SpfDnsStatus.NoError, records);

    /// <summary>An NXDOMAIN answer.</summary>
    /// <returns>The answer.</returns>
    public static SpfDnsAnswer NameError() => new(SpfDnsStatus.NameError, Array.Empty<string>());

    /// <summary>A failed lookup.</summary>
    /// <param name="failure">What failed.</param>
    /// <returns>The answer.</returns>
    public static SpfDnsAnswer Failed(string failure) => new(SpfDnsStatus.Failure, Array.Empty<string>(), failure);
}
