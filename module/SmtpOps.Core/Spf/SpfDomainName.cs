using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace SmtpOps.Spf;

/// <summary>Domain names as SPF checks them: valid for a query (RFC 7208 section 4.3), compared, reversed for PTR.</summary>
internal static class SpfDomainName
{
    public static bool IsValid(string name)
    {
        var trimmed = name.EndsWith(".", StringComparison.Ordinal) ? name.Substring(0, name.Length - 1) : name;
        if (trimmed.Length is 0 or > 253)
        {
            return false;
        }

        var labels = trimmed.Split('.');
        return labels.Length >= 2 && labels.All(l => l.Length is > 0 and <= 63);
    }

    public static string Normalize(string name) => (name.EndsWith(".", StringComparison.Ordinal) ? name.Substring(0, name.Length - 1) : name).ToLowerInvariant();

    public static string Reverse(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? string.Join(".", Enumerable.Reverse(SpfMacroContext.DottedAddress(address).Split('.'))) + ".ip6.arpa"
        : string.Join(".", Enumerable.Reverse(address.ToString().Split('.'))) + ".in-addr.arpa";
}
