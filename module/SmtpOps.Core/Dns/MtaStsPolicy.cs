using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>
/// A domain's MTA-STS (RFC 8461): the _mta-sts TXT record that announces a policy and, where the
/// policy host was reachable, the policy file from https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt.
/// </summary>
public sealed class MtaStsPolicy
{
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
}
