using System;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>
/// The report destinations DMARC (rua/ruf) and TLS-RPT (rua) records list: mailto: URIs with one
/// address, and https: URIs. Only the syntax is judged here; what a record allows is its type's.
/// </summary>
internal static class ReportUriSyntax
{
    /// <summary>Reads the address of a mailto: URI (mailto:dmarc@contoso.com, optionally ?headers).</summary>
    /// <param name="uri">The URI text.</param>
    /// <param name="address">The address, percent-decoded.</param>
    /// <param name="domain">The address's domain, in lower case.</param>
    /// <returns>Whether the URI is mailto: with exactly one syntactically valid address.</returns>
    public static bool TryParseMailto(string uri, out string address, out string domain)
    {
        address = string.Empty;
        domain = string.Empty;
        if (!uri.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var text = uri.Substring("mailto:".Length);
        var query = text.IndexOf('?');
        if (query >= 0)
        {
            text = text.Substring(0, query);
        }

        try
        {
            text = Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return false;
        }

        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1 || text.IndexOf(',') >= 0)
        {
            return false;
        }

        var local = text.Substring(0, at);
        var host = text.Substring(at + 1).TrimEnd('.').ToLowerInvariant();
        if (local.Any(c => c <= ' ' || c is '<' or '>' or '(' or ')' or '[' or ']' or '\\' or ',' or ';' or ':' or '@' or '"') || !IsHostName(host))
        {
            return false;
        }

        address = text;
        domain = host;
        return true;
    }

    /// <summary>Reads the host of an https: URI.</summary>
    /// <param name="uri">The URI text.</param>
    /// <param name="host">The host, in lower case.</param>
    /// <returns>Whether the URI is an absolute https: URI with a host name.</returns>
    public static bool TryParseHttps(string uri, out string host)
    {
        host = string.Empty;
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || !parsed.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase) || parsed.HostNameType != UriHostNameType.Dns || !IsHostName(parsed.Host.ToLowerInvariant()))
        {
            return false;
        }

        host = parsed.Host.ToLowerInvariant().TrimEnd('.');
        return true;
    }

    /// <summary>The scheme of a URI ("mailto", "https", ...), or <c>null</c> when the text has none.</summary>
    /// <param name="uri">The URI text.</param>
    /// <returns>The scheme in lower case.</returns>
    public static string? Scheme(string uri)
    {
        var colon = uri.IndexOf(':');
        if (colon <= 0 || !char.IsLetter(uri[0]) || !uri.Take(colon).All(c => char.IsLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            return null;
        }

        return uri.Substring(0, colon).ToLowerInvariant();
    }

    /// <summary>Whether a name is a host name with at least two labels (letters, digits, hyphens; 1-63 per label).</summary>
    /// <param name="host">The name, in lower case.</param>
    /// <returns>Whether it can be the domain of a report address.</returns>
    public static bool IsHostName(string host)
    {
        var labels = host.Split('.');
        return host.Length is > 0 and <= 253 && labels.Length >= 2 && labels.All(l => l.Length is > 0 and <= 63
            && !l.StartsWith("-", StringComparison.Ordinal) && !l.EndsWith("-", StringComparison.Ordinal)
            && l.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_'));
    }
}
