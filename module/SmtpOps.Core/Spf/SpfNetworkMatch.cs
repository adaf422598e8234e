using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace SmtpOps.Spf;

/// <summary>Whether a client address is in a network (ip4, ip6) or among a name's addresses with a prefix length (a, mx).</summary>
internal static class SpfNetworkMatch
{
    public static bool InNetwork(IPAddress address, IPAddress network, int prefix)
    {
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        if (a.Length != n.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length && prefix > 0; i++, prefix -= 8)
        {
            var mask = prefix >= 8 ? 0xFF : (0xFF << (8 - prefix)) & 0xFF;
            if ((a[i] & mask) != (n[i] & mask))
            {
                return false;
            }
        }

        return true;
    }

    public static bool Matches(IPAddress address, IEnumerable<string> records, SpfTerm term)
    {
        var prefix = address.AddressFamily == AddressFamily.InterNetworkV6 ? term.Cidr6 : term.Cidr4;
        foreach (var record in records)
        {
            if (IPAddress.TryParse(record, out var candidate))
            {
                if (candidate.IsIPv4MappedToIPv6)
                {
                    candidate = candidate.MapToIPv4();
                }

                if (candidate.AddressFamily == address.AddressFamily && InNetwork(address, candidate, prefix))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
