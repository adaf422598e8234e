using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>The DANE TLSA records of one mail exchanger (_25._tcp.&lt;exchange&gt;) and whether DNSSEC vouched for them.</summary>
public sealed class TlsaRecordSet
{
    /// <summary>Creates the set.</summary>
    /// <param name="name">The queried name, _25._tcp.&lt;exchange&gt;.</param>
    /// <param name="records">The TLSA records.</param>
    /// <param name="isAuthenticated">Whether the answer had the DNSSEC AD bit set.</param>
    /// <param name="error">Why the lookup failed, or <c>null</c>.</param>
    public TlsaRecordSet(string name, IEnumerable<TlsaAssociation> records, bool isAuthenticated, string? error = null)
    {
        Name = name;
        Records = records.ToList().AsReadOnly();
        IsAuthenticated = isAuthenticated;
        Error = error;
    }

    /// <summary>Gets the queried name, _25._tcp.&lt;exchange&gt;.</summary>
    public string Name { get; }

    /// <summary>Gets the TLSA records; empty when the host publishes none.</summary>
    public IReadOnlyList<TlsaAssociation> Records { get; }

    /// <summary>
    /// Gets whether the answer was DNSSEC-authenticated (AD bit from the resolver). Senders use
    /// TLSA records only when it is: unauthenticated TLSA records are ignored (RFC 7672).
    /// </summary>
    public bool IsAuthenticated { get; }

    /// <summary>Gets whether DANE applies: TLSA records exist and the answer was authenticated.</summary>
    public bool IsUsable => IsAuthenticated && Records.Count > 0;

    /// <summary>Gets why the lookup failed (e.g. a temporary DNS failure), or <c>null</c>.</summary>
    public string? Error { get; }

    /// <summary>What a sender would make of these records for the exchanger: unauthenticated TLSA records are ignored (RFC 7672), a failed lookup leaves DANE unknown.</summary>
    /// <param name="exchange">The exchanger's host name, for the warning.</param>
    /// <returns>The warnings; none for a usable set or no records.</returns>
    internal IEnumerable<string> WarningsFor(string exchange)
    {
        if (Records.Count > 0 && !IsAuthenticated)
        {
            yield return $"{exchange} publishes TLSA records but the answer was not DNSSEC-authenticated: senders ignore them (RFC 7672).";
        }

        if (Error is { } error)
        {
            yield return error;
        }
    }
}
