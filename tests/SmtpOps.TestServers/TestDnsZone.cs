using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace SmtpOps.TestServers;

/// <summary>
/// What a <see cref="TestDnsServer"/> answers: records described in code (or JSON for the CLI),
/// names that fail with SERVFAIL or REFUSED, names the server never answers, and names whose
/// answers carry the DNSSEC "authentic data" (AD) bit. A name with no record at all is NXDOMAIN.
/// </summary>
public sealed class TestDnsZone
{
    static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    public List<TestDnsRecord> Records { get; init; } = [];

    /// <summary>Names answered with SERVFAIL.</summary>
    public List<string> ServerFailure { get; init; } = [];

    /// <summary>Names answered with REFUSED.</summary>
    public List<string> Refused { get; init; } = [];

    /// <summary>Names the server never answers.</summary>
    public List<string> Silent { get; init; } = [];

    /// <summary>Names whose answers have the AD bit set.</summary>
    public List<string> Authenticated { get; init; } = [];

    public static TestDnsZone FromJsonFile(string path) =>
        JsonSerializer.Deserialize<TestDnsZone>(File.ReadAllText(path), JsonOptions)
            ?? throw new InvalidDataException($"{path} holds no zone.");

    public TestDnsZone Add(string name, string type, string value, int ttl = 300)
    {
        Records.Add(new TestDnsRecord { Name = name, Type = type, Value = value, Ttl = ttl });
        return this;
    }

    public TestDnsZone Mx(string name, int preference, string exchange, int ttl = 300) => Add(name, "MX", $"{preference} {exchange}", ttl);

    public TestDnsZone A(string name, string address, int ttl = 300) => Add(name, "A", address, ttl);

    public TestDnsZone Aaaa(string name, string address, int ttl = 300) => Add(name, "AAAA", address, ttl);

    public TestDnsZone Cname(string name, string target, int ttl = 300) => Add(name, "CNAME", target, ttl);

    public TestDnsZone Txt(string name, string text, int ttl = 300) => Add(name, "TXT", text, ttl);

    public TestDnsZone Tlsa(string name, string value, int ttl = 300) => Add(name, "TLSA", value, ttl);

    public TestDnsZone FailWithServerFailure(string name)
    {
        ServerFailure.Add(name);
        return this;
    }

    public TestDnsZone FailWithRefused(string name)
    {
        Refused.Add(name);
        return this;
    }

    public TestDnsZone NeverAnswer(string name)
    {
        Silent.Add(name);
        return this;
    }

    public TestDnsZone Authenticate(string name)
    {
        Authenticated.Add(name);
        return this;
    }

    internal static string Normalize(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    internal static bool Contains(IEnumerable<string> names, string name) => names.Any(n => Normalize(n) == name);

    /// <summary>Whether the name owns a record or is an empty non-terminal (has records below it).</summary>
    internal bool NameExists(string name) =>
        Records.Any(r => Normalize(r.Name) == name || Normalize(r.Name).EndsWith("." + name, StringComparison.Ordinal));
}
