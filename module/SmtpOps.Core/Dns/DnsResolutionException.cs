using System;

namespace SmtpOps.Dns;

/// <summary>
/// A domain's mail exchangers could not be resolved. Carries the kind of failure, the query that
/// failed and the name server's response code, and whether the failure is temporary. A temporary
/// failure never means "no MX": the answer is simply not known yet.
/// </summary>
public sealed class DnsResolutionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">The kind of failure.</param>
    /// <param name="domain">The domain that was being resolved.</param>
    /// <param name="message">A message for the user.</param>
    /// <param name="queryName">The name of the failed query, when a query failed.</param>
    /// <param name="queryType">The type of the failed query (MX, A, AAAA), when a query failed.</param>
    /// <param name="responseCode">The response code (NXDOMAIN, SERVFAIL, REFUSED, ...), when the server answered.</param>
    /// <param name="innerException">The underlying exception.</param>
    public DnsResolutionException(DnsFailureKind kind, string domain, string message, string? queryName = null, string? queryType = null, string? responseCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Domain = domain;
        QueryName = queryName;
        QueryType = queryType;
        ResponseCode = responseCode;
    }

    /// <summary>Gets the kind of failure.</summary>
    public DnsFailureKind Kind { get; }

    /// <summary>Gets the domain (or the input, when it was not a valid domain) that was being resolved.</summary>
    public string Domain { get; }

    /// <summary>Gets the name of the failed query, when a query failed.</summary>
    public string? QueryName { get; }

    /// <summary>Gets the type of the failed query (MX, A, AAAA), when a query failed.</summary>
    public string? QueryType { get; }

    /// <summary>Gets the name server's response code (NXDOMAIN, SERVFAIL, REFUSED, ...), or <c>null</c> when it did not answer.</summary>
    public string? ResponseCode { get; }

    /// <summary>Gets whether the same lookup may succeed later (SERVFAIL, REFUSED, timeout).</summary>
    public bool IsTemporary => Kind is DnsFailureKind.Temporary or DnsFailureKind.Timeout;
}
