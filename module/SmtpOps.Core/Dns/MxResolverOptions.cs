using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;

namespace SmtpOps.Dns;

/// <summary>How <see cref="MxResolver"/> asks DNS.</summary>
public sealed record MxResolverOptions
{
    /// <summary>
    /// Gets the name servers to ask, in order. Empty means the system's name servers; with none
    /// configured the resolver refuses to start rather than fall back to a public resolver.
    /// </summary>
    public IReadOnlyList<IPEndPoint> Servers { get; init; } = Array.Empty<IPEndPoint>();

    /// <summary>Gets how long to wait for each answer (default 5 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets how often a query that got no answer is sent again to the same server (default 1).</summary>
    public int Retries { get; init; } = 1;

    /// <summary>Gets whether queries go over TCP only (no UDP).</summary>
    public bool TcpOnly { get; init; }

    /// <summary>Gets whether answers are cached for their TTL within this resolver (default true).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>
    /// Gets whether mail exchangers of equal preference are put in random order, as RFC 5321
    /// section 5.1 asks of senders (default true). Without it, equal preferences are ordered by name.
    /// </summary>
    public bool Randomize { get; init; } = true;

    /// <summary>Gets the random source for equal preferences (tests pass a seeded one); <c>null</c> for a fresh one.</summary>
    public Random? Random { get; init; }

    /// <summary>Gets whether each plan also carries the domain's mail-security records (MTA-STS, TLS-RPT, DANE, SPF, DMARC).</summary>
    public bool IncludePolicy { get; init; }

    /// <summary>Gets whether, with <see cref="IncludePolicy"/>, the MTA-STS policy file is fetched over HTTPS (default true).</summary>
    public bool FetchMtaStsPolicy { get; init; } = true;

    /// <summary>Gets how long to wait for the MTA-STS policy file (default 10 s).</summary>
    public TimeSpan MtaStsFetchTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets the HTTP handler that fetches MTA-STS policy files (through a proxy, or from a test
    /// server); <c>null</c> (the default) for the module's shared client, which follows no
    /// redirects. A policy that arrives through a redirect is refused either way (RFC 8461 section 3.3).
    /// The handler is not disposed by the resolver.
    /// </summary>
    public HttpMessageHandler? MtaStsHttpHandler { get; init; }
}
