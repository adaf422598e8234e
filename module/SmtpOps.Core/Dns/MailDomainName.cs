using System;
using System.Globalization;
using System.Linq;
using System.Net;

namespace SmtpOps.Dns;

/// <summary>Turns what a user typed (a domain or an e-mail address) into the domain name to query.</summary>
internal static class MailDomainName
{
    private static readonly IdnMapping Idn = new();

    /// <summary>Returns the domain in lower case A-label form without a trailing dot, or throws <see cref="DnsResolutionException"/>.</summary>
    public static string Parse(string? input)
    {
        var text = (input ?? string.Empty).Trim();
        var at = text.LastIndexOf('@');
        if (at >= 0)
        {
            text = text.Substring(at + 1).TrimEnd('>', ' ');
        }

        if (text.EndsWith(".", StringComparison.Ordinal) && text.Length > 1)
        {
            text = text.Substring(0, text.Length - 1);
        }

        if (text.Length == 0)
        {
            throw Invalid(input, "it is empty");
        }

        if (text.StartsWith("[", StringComparison.Ordinal) || IPAddress.TryParse(text, out _))
        {
            throw Invalid(input, "an address literal has no mail exchangers");
        }

        string ascii;
        try
        {
            ascii = Idn.GetAscii(text).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            throw Invalid(input, "it is not a valid (internationalised) domain name");
        }

        var labels = ascii.Split('.');
        if (ascii.Length > 253 || labels.Any(l => l.Length is 0 or > 63 || l.StartsWith("-", StringComparison.Ordinal) || l.EndsWith("-", StringComparison.Ordinal) || !l.All(IsHostCharacter)))
        {
            throw Invalid(input, "it is not a valid domain name");
        }

        return ascii;
    }

    /// <summary>Lower case, no trailing dot: how names are compared.</summary>
    public static string Normalize(string name)
    {
        var trimmed = name.Trim();
        return (trimmed.Length > 1 ? trimmed.TrimEnd('.') : trimmed).ToLowerInvariant();
    }

    private static bool IsHostCharacter(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';

    private static DnsResolutionException Invalid(string? input, string reason) =>
        new(DnsFailureKind.InvalidName, input ?? string.Empty, $"'{input}' is not a domain or e-mail address: {reason}.");
}
