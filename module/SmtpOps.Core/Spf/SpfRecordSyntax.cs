using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace SmtpOps.Spf;

/// <summary>
/// Parses an SPF record into terms by the ABNF of RFC 7208 sections 4.6.1, 5, 6 and 12. A syntax error
/// anywhere in the record makes the whole record a permerror (section 4.6).
/// </summary>
internal static class SpfRecordSyntax
{
    private static readonly Regex ModifierName = new("^[A-Za-z][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant);
    private static readonly Regex DualCidr = new("^(?<spec>.*?)(?:/(?<c4>[0-9]+))?(?://(?<c6>[0-9]+))?$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
    private static readonly Regex Ip4 = new("^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$", RegexOptions.CultureInvariant);
    private static readonly Regex TopLabel = new("^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$", RegexOptions.CultureInvariant);

    /// <summary>Whether a TXT text is an SPF record: "v=spf1" alone or followed by a space (section 4.5).</summary>
    public static bool IsSpfRecord(string text) =>
        text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (text.Length == 6 || text[6] == ' ');

    /// <summary>Parses the record; on a syntax error returns <c>null</c> terms and says why, with the RFC section.</summary>
    public static IReadOnlyList<SpfTerm>? Parse(string record, out string? error, out string? section, out string? failedTerm)
    {
        error = null;
        section = null;
        failedTerm = null;
        var bad = record.FirstOrDefault(c => c is < ' ' or > '~');
        if (bad != default(char))
        {
            error = $"the record has a character that is not printable ASCII (U+{(int)bad:X4})";
            section = "4.6.1";
            return null;
        }

        var terms = new List<SpfTerm>();
        foreach (var text in record.Substring(6).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
        {
            var term = ParseTerm(text, out error, out section);
            if (term is null)
            {
                failedTerm = text;
                return null;
            }

            if (term.IsModifier && term.Name is "redirect" or "exp" && terms.Any(t => t.IsModifier && t.Name == term.Name))
            {
                error = $"the {term.Name} modifier appears more than once";
                section = "6";
                failedTerm = text;
                return null;
            }

            terms.Add(term);
        }

        return terms;
    }

    private static SpfTerm? ParseTerm(string text, out string? error, out string? section)
    {
        error = null;
        section = "4.6.1";
        var separator = text.IndexOfAny(new[] { ':', '/', '=' });
        if (separator >= 0 && text[separator] == '=')
        {
            return ParseModifier(text, text.Substring(0, separator), text.Substring(separator + 1), out error, out section);
        }

        var qualifier = text[0] switch
        {
            '+' => SpfResult.Pass,
            '-' => SpfResult.Fail,
            '~' => SpfResult.SoftFail,
            '?' => SpfResult.Neutral,
            _ => (SpfResult?)null,
        };
        var body = qualifier is null ? text : text.Substring(1);
        var end = body.IndexOfAny(new[] { ':', '/' });
        var name = (end < 0 ? body : body.Substring(0, end)).ToLowerInvariant();
        var argument = end < 0 ? string.Empty : body.Substring(end);
        var q = qualifier ?? SpfResult.Pass;
        switch (name)
        {
            case "all":
                if (argument.Length > 0)
                {
                    error = $"'all' takes no argument";
                    section = "5.1";
                    return null;
                }

                return new SpfTerm { Text = text, Name = name, Qualifier = q };
            case "include":
            case "exists":
                if (!argument.StartsWith(":", StringComparison.Ordinal))
                {
                    error = $"'{name}' needs a domain (':domain')";
                    section = name == "include" ? "5.2" : "5.7";
                    return null;
                }

                var spec = argument.Substring(1);
                return CheckDomainSpec(spec, name, out error, out section)
                    ? new SpfTerm { Text = text, Name = name, Qualifier = q, DomainSpec = spec }
                    : null;
            case "a":
            case "mx":
            case "ptr":
                return ParseHostMechanism(text, name, q, argument, out error, out section);
            case "ip4":
            case "ip6":
                return ParseNetwork(text, name, q, argument, out error, out section);
            default:
                error = $"'{name}' is not a mechanism (all, include, a, mx, ptr, ip4, ip6, exists)";
                section = "5";
                return null;
        }
    }

    private static SpfTerm? ParseModifier(string text, string name, string value, out string? error, out string? section)
    {
        error = null;
        section = "6";
        if (!ModifierName.IsMatch(name))
        {
            error = $"'{name}' is not a valid modifier name (ALPHA *( ALPHA / DIGIT / '-' / '_' / '.' ))";
            section = "4.6.1";
            return null;
        }

        var lower = name.ToLowerInvariant();
        if (lower is "redirect" or "exp")
        {
            if (!CheckDomainSpec(value, lower, out error, out section))
            {
                return null;
            }
        }
        else if (SpfMacro.Validate(value, explanation: false) is { } macroError)
        {
            error = $"the value of the modifier '{name}': {macroError}";
            section = "7.1";
            return null;
        }

        return new SpfTerm { Text = text, Name = lower, IsModifier = true, DomainSpec = value };
    }

    private static SpfTerm? ParseHostMechanism(string text, string name, SpfResult qualifier, string argument, out string? error, out string? section)
    {
        error = null;
        section = name switch { "a" => "5.3", "mx" => "5.4", _ => "5.5" };
        var match = DualCidr.Match(argument);
        var spec = match.Groups["spec"].Value;
        if (name == "ptr" && (match.Groups["c4"].Success || match.Groups["c6"].Success))
        {
            error = "'ptr' takes no prefix length";
            return null;
        }

        if (spec.Length > 0 && !spec.StartsWith(":", StringComparison.Ordinal))
        {
            error = $"'{text}' is not a valid '{name}' mechanism";
            return null;
        }

        string? domainSpec = null;
        if (spec.Length > 0)
        {
            domainSpec = spec.Substring(1);
            if (!CheckDomainSpec(domainSpec, name, out error, out section))
            {
                return null;
            }
        }

        var cidr4 = 32;
        var cidr6 = 128;
        if (match.Groups["c4"].Success && !TryPrefix(match.Groups["c4"].Value, 32, out cidr4))
        {
            error = $"'/{match.Groups["c4"].Value}' is not an IPv4 prefix length (0-32, no leading zero)";
            section = "5.6";
            return null;
        }

        if (match.Groups["c6"].Success && !TryPrefix(match.Groups["c6"].Value, 128, out cidr6))
        {
            error = $"'//{match.Groups["c6"].Value}' is not an IPv6 prefix length (0-128, no leading zero)";
            section = "5.6";
            return null;
        }

        return new SpfTerm { Text = text, Name = name, Qualifier = qualifier, DomainSpec = domainSpec, Cidr4 = cidr4, Cidr6 = cidr6 };
    }

    private static SpfTerm? ParseNetwork(string text, string name, SpfResult qualifier, string argument, out string? error, out string? section)
    {
        error = null;
        section = "5.6";
        if (!argument.StartsWith(":", StringComparison.Ordinal))
        {
            error = $"'{name}' needs a network (':address' or ':address/prefix')";
            return null;
        }

        var value = argument.Substring(1);
        var slash = value.IndexOf('/');
        var address = slash < 0 ? value : value.Substring(0, slash);
        var prefix = slash < 0 ? null : value.Substring(slash + 1);
        var max = name == "ip4" ? 32 : 128;
        var length = max;
        if (prefix is not null && !TryPrefix(prefix, max, out length))
        {
            error = $"'/{prefix}' is not a valid prefix length for {name} (0-{max}, no leading zero)";
            return null;
        }

        if (name == "ip4")
        {
            if (!Ip4.IsMatch(address))
            {
                error = $"'{address}' is not an IPv4 address (four decimal numbers 0-255)";
                return null;
            }
        }
        else if (!address.Contains(":") || !IPAddress.TryParse(address, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
        {
            error = $"'{address}' is not an IPv6 address";
            return null;
        }

        return new SpfTerm
        {
            Text = text,
            Name = name,
            Qualifier = qualifier,
            Network = IPAddress.Parse(address),
            Cidr4 = name == "ip4" ? length : 32,
            Cidr6 = name == "ip6" ? length : 128,
        };
    }

    private static bool TryPrefix(string text, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value)
        && value <= max
        && (text.Length == 1 || text[0] != '0');

    // domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand (section 7.1).
    private static bool CheckDomainSpec(string spec, string name, out string? error, out string? section)
    {
        error = null;
        section = "7.1";
        if (spec.Length == 0)
        {
            error = $"'{name}' has an empty domain";
            return false;
        }

        if (SpfMacro.Validate(spec, explanation: false) is { } macroError)
        {
            error = $"the domain of '{name}': {macroError}";
            return false;
        }

        if (SpfMacro.EndsWithMacro(spec))
        {
            return true;
        }

        var trimmed = spec.EndsWith(".", StringComparison.Ordinal) ? spec.Substring(0, spec.Length - 1) : spec;
        var dot = trimmed.LastIndexOf('.');
        if (dot < 0 || !TopLabel.IsMatch(trimmed.Substring(dot + 1)))
        {
            error = $"'{spec}' does not end with a valid top-level label or a macro";
            return false;
        }

        return true;
    }
}
