using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace SmtpOps.Spf;

/// <summary>The values the macros of one check expand to (RFC 7208 section 7.2).</summary>
internal sealed class SpfMacroContext
{
    private readonly Func<Task<string>> validatedName;
    private Task<string>? validated;

    public SpfMacroContext(IPAddress? address, string sender, string domain, string helo, string receiver, Func<Task<string>> validatedName)
    {
        Address = address;
        Sender = sender;
        Domain = domain;
        Helo = helo;
        Receiver = receiver;
        this.validatedName = validatedName;
        var at = sender.LastIndexOf('@');
        LocalPart = at > 0 ? sender.Substring(0, at) : "postmaster";
        SenderDomain = at >= 0 ? sender.Substring(at + 1) : sender;
    }

    public IPAddress? Address { get; }

    public string Sender { get; }

    public string LocalPart { get; }

    public string SenderDomain { get; }

    public string Domain { get; }

    public string Helo { get; }

    public string Receiver { get; }

    /// <summary>The same sender and client, another current domain (include, redirect).</summary>
    public SpfMacroContext ForDomain(string domain) => new(Address, Sender, domain, Helo, Receiver, validatedName) { validated = validated };

    public async Task<string?> ValueAsync(char letter) => letter switch
    {
        's' => Sender,
        'l' => LocalPart,
        'o' => SenderDomain,
        'd' => Domain,
        'h' => Helo,
        'r' => Receiver,
        't' => ((long)(DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(0)).TotalSeconds).ToString(CultureInfo.InvariantCulture),
        'i' => Address is null ? null : DottedAddress(Address),
        'c' => Address?.ToString(),
        'v' => Address is null ? null : Address.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "in-addr",
        'p' => Address is null ? null : await (validated ??= validatedName()).ConfigureAwait(false),
        _ => null,
    };

    /// <summary>The address as %{i} gives it: dotted quad, or 32 dot-separated nibbles for IPv6.</summary>
    public static string DottedAddress(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? string.Join(".", address.GetAddressBytes().SelectMany(b => new[] { b >> 4, b & 0xF }).Select(n => n.ToString("x", CultureInfo.InvariantCulture)))
        : address.ToString();
}
