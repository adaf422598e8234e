using System.Net;

namespace SmtpOps.Spf;

/// <summary>One parsed term of an SPF record: a mechanism with its qualifier, or a modifier.</summary>
internal sealed class SpfTerm
{
    /// <summary>The term as written.</summary>
    public string Text { get; init; } = string.Empty;

    /// <summary>The mechanism or modifier name, lower case.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Whether this is a modifier (name=value).</summary>
    public bool IsModifier { get; init; }

    /// <summary>The result a match gives (pass for '+' or none, fail '-', softfail '~', neutral '?').</summary>
    public SpfResult Qualifier { get; init; } = SpfResult.Pass;

    /// <summary>The domain-spec (include, a, mx, ptr, exists, redirect, exp) or a modifier's value; <c>null</c> when absent.</summary>
    public string? DomainSpec { get; init; }

    /// <summary>The network of ip4/ip6.</summary>
    public IPAddress? Network { get; init; }

    /// <summary>The IPv4 prefix length (ip4, a, mx).</summary>
    public int Cidr4 { get; init; } = 32;

    /// <summary>The IPv6 prefix length (ip6, a, mx).</summary>
    public int Cidr6 { get; init; } = 128;

    /// <summary>Whether the mechanism makes DNS lookups that count towards the limit of 10 (RFC 7208 section 4.6.4).</summary>
    public bool CountsAsLookup => Name is "include" or "a" or "mx" or "ptr" or "exists" or "redirect";
}
