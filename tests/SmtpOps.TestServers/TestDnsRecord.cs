namespace SmtpOps.TestServers;

/// <summary>
/// One resource record of a test zone, with its data in zone-file presentation:
/// A "192.0.2.1", AAAA "2001:db8::1", MX "10 mx1.contoso.test" (or "0 ." for a null MX),
/// CNAME "target.contoso.test", TXT "v=spf1 -all", TLSA "3 1 1 0a1b...".
/// </summary>
public sealed record TestDnsRecord
{
    public string Name { get; init; } = string.Empty;

    /// <summary>A, AAAA, MX, CNAME, TXT or TLSA.</summary>
    public string Type { get; init; } = string.Empty;

    public string Value { get; init; } = string.Empty;

    public int Ttl { get; init; } = 300;
}
