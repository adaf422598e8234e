using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>
/// One destination of a DMARC record's reports (an entry of rua= or ruf=, RFC 7489 section 6.2):
/// its URI, the size limit it may carry ("!10m"), its domain and, when that domain is outside the
/// policy's organizational domain, whether it authorizes the reports (RFC 7489 section 7.1).
/// </summary>
public sealed class DmarcReportUri
{
    /// <summary>Creates the destination.</summary>
    /// <param name="tag">The tag that lists it: rua (aggregate reports) or ruf (failure reports).</param>
    /// <param name="uri">The URI without its size limit, e.g. "mailto:dmarc@contoso.com".</param>
    /// <param name="maxSize">The size limit in bytes, or <c>null</c> when none is given.</param>
    /// <param name="domain">The domain reports go to (the address's or the host's), or <c>null</c> when the URI is invalid.</param>
    /// <param name="isValid">Whether the URI is a syntactically valid report destination.</param>
    /// <param name="isExternal">Whether the domain is outside the policy's organizational domain.</param>
    /// <param name="isAuthorized">For an external domain, whether it publishes the authorization record; otherwise <c>null</c>.</param>
    public DmarcReportUri(string tag, string uri, long? maxSize, string? domain, bool isValid, bool isExternal, bool? isAuthorized)
    {
        Tag = tag ?? throw new ArgumentNullException(nameof(tag));
        Uri = uri ?? throw new ArgumentNullException(nameof(uri));
        MaxSize = maxSize;
        Domain = domain;
        IsValid = isValid;
        IsExternal = isExternal;
        IsAuthorized = isAuthorized;
    }

    /// <summary>Gets the tag that lists the destination: rua or ruf.</summary>
    public string Tag { get; }

    /// <summary>Gets the URI without its size limit, e.g. "mailto:dmarc@contoso.com".</summary>
    public string Uri { get; }

    /// <summary>Gets the largest report in bytes the destination accepts ("!10m" is 10 MiB), or <c>null</c> without a limit.</summary>
    public long? MaxSize { get; }

    /// <summary>Gets the domain reports go to, or <c>null</c> when the URI is invalid.</summary>
    public string? Domain { get; }

    /// <summary>Gets whether the URI is a syntactically valid report destination.</summary>
    public bool IsValid { get; }

    /// <summary>Gets whether <see cref="Domain"/> lies outside the policy's organizational domain.</summary>
    public bool IsExternal { get; }

    /// <summary>
    /// Gets, for an external destination, whether its domain authorizes the reports with a v=DMARC1 record at
    /// &lt;policy-domain&gt;._report._dmarc.&lt;domain&gt; (<c>false</c>: receivers send it nothing);
    /// <c>null</c> when the destination is not external or the lookup failed.
    /// </summary>
    public bool? IsAuthorized { get; }

    /// <summary>Returns the URI with its size limit as a record would list it.</summary>
    /// <returns>e.g. "mailto:dmarc@contoso.com!10m".</returns>
    public override string ToString() => MaxSize is { } size ? $"{Uri}!{FormatSize(size)}" : Uri;

    /// <summary>The same destination with the outcome of the authorization lookup.</summary>
    /// <param name="isExternal">Whether the domain is outside the policy's organizational domain.</param>
    /// <param name="isAuthorized">Whether the authorization record was found, or <c>null</c>.</param>
    /// <returns>A new instance.</returns>
    internal DmarcReportUri WithAuthorization(bool isExternal, bool? isAuthorized) => new(Tag, Uri, MaxSize, Domain, IsValid, isExternal, isAuthorized);

    /// <summary>
    /// Parses one entry of a rua= or ruf= list: a URI optionally followed by "!" and a size, with an
    /// optional unit k, m, g or t (powers of 1024; RFC 7489 section 6.2 and 6.4).
    /// </summary>
    /// <param name="domain">The domain whose record lists it, for the warnings.</param>
    /// <param name="tag">rua or ruf.</param>
    /// <param name="text">The entry.</param>
    /// <param name="warnings">Where problems are added.</param>
    /// <returns>The destination; <see cref="IsValid"/> is <c>false</c> when it cannot be used.</returns>
    internal static DmarcReportUri Parse(string domain, string tag, string text, ICollection<string> warnings)
    {
        var uri = text;
        long? maxSize = null;
        var bang = text.LastIndexOf('!');
        if (bang >= 0)
        {
            uri = text.Substring(0, bang);
            if (TryParseSize(text.Substring(bang + 1), out var size))
            {
                maxSize = size;
            }
            else
            {
                warnings.Add($"The DMARC record of {domain} lists {tag}={text} with an invalid size limit '!{text.Substring(bang + 1)}': a size is digits with an optional unit k, m, g or t (RFC 7489 section 6.4).");
                return new DmarcReportUri(tag, uri, null, null, false, false, null);
            }
        }

        switch (ReportUriSyntax.Scheme(uri))
        {
            case "mailto":
                if (ReportUriSyntax.TryParseMailto(uri, out _, out var mailDomain))
                {
                    return new DmarcReportUri(tag, uri, maxSize, mailDomain, true, false, null);
                }

                warnings.Add($"The DMARC record of {domain} lists {tag}={text}, which is not a mailto: URI with one valid address (RFC 7489 section 6.2): receivers send it nothing.");
                return new DmarcReportUri(tag, uri, maxSize, null, false, false, null);
            case "https":
                if (ReportUriSyntax.TryParseHttps(uri, out var host))
                {
                    warnings.Add($"The DMARC record of {domain} lists {tag}={text}: receivers only have to support mailto: (RFC 7489 section 6.2), most send nothing to https:.");
                    return new DmarcReportUri(tag, uri, maxSize, host, true, false, null);
                }

                warnings.Add($"The DMARC record of {domain} lists {tag}={text}, which is not a valid https: URI (RFC 7489 section 6.4): receivers ignore it.");
                return new DmarcReportUri(tag, uri, maxSize, null, false, false, null);
            case { } other:
                warnings.Add($"The DMARC record of {domain} lists {tag}={text}: receivers only have to support mailto: (RFC 7489 section 6.2) and ignore a {other}: URI they do not support.");
                return new DmarcReportUri(tag, uri, maxSize, null, false, false, null);
        }

        warnings.Add($"The DMARC record of {domain} lists {tag}={text}, which is not a URI (RFC 7489 section 6.4): receivers ignore it.");
        return new DmarcReportUri(tag, uri, maxSize, null, false, false, null);
    }

    private static string FormatSize(long size)
    {
        foreach (var (unit, shift) in new[] { ("t", 40), ("g", 30), ("m", 20), ("k", 10) })
        {
            if (size != 0 && size % (1L << shift) == 0)
            {
                return (size >> shift).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return size.ToString(CultureInfo.InvariantCulture);
    }

    private static bool TryParseSize(string text, out long size)
    {
        size = 0;
        var digits = text;
        var multiplier = 1L;
        if (text.Length > 0 && char.IsLetter(text[text.Length - 1]))
        {
            multiplier = char.ToLowerInvariant(text[text.Length - 1]) switch
            {
                'k' => 1L << 10,
                'm' => 1L << 20,
                'g' => 1L << 30,
                't' => 1L << 40,
                _ => 0,
            };
            digits = text.Substring(0, text.Length - 1);
        }

        if (multiplier == 0 || digits.Length == 0 || !digits.All(c => c is >= '0' and <= '9') || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > long.MaxValue / multiplier)
        {
            return false;
        }

        size = value * multiplier;
        return true;
    }
}
