namespace SmtpOps.Spf;

/// <summary>The DNS record types SPF evaluation asks for.</summary>
public enum SpfDnsQueryType
{
    /// <summary>TXT: SPF records and explanation strings.</summary>
    Txt,

    /// <summary>A: IPv4 addresses.</summary>
    A,

    /// <summary>AAAA: IPv6 addresses.</summary>
    Aaaa,

    /// <summary>MX: mail exchanger names.</summary>
    Mx,

    /// <summary>PTR: names of an address (in-addr.arpa, ip6.arpa).</summary>
    Ptr,
}
