using System.Globalization;
using System.Text;

namespace SmtpOps.Messages;

/// <summary>
/// Makes text from outside (an address, a header, a server's reply, a queue message's field) safe to echo into a log
/// line, a dead-letter reason or an error message: one line, so that it cannot forge a line of its own. CR, LF and tab
/// become <c>\r</c>, <c>\n</c> and <c>\t</c>; every other control character (C0, DEL, C1) and the Unicode line and
/// paragraph separators become <c>\uXXXX</c>. Everything else is kept as it is.
/// </summary>
public static class SingleLineText
{
    /// <summary>Escapes the control characters of <paramref name="value"/>.</summary>
    /// <param name="value">The text, or <c>null</c>.</param>
    /// <returns>The text on one line (the same instance when nothing needed escaping); <c>null</c> for <c>null</c>.</returns>
    public static string? Escape(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var first = 0;
        while (first < value.Length && !NeedsEscape(value[first]))
        {
            first++;
        }

        if (first == value.Length)
        {
            return value;
        }

        var text = new StringBuilder(value.Length + 16).Append(value, 0, first);
        for (var i = first; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\r':
                    text.Append("\\r");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                default:
                    if (NeedsEscape(c))
                    {
                        text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        return text.ToString();
    }

    private static bool NeedsEscape(char c) => c < ' ' || (c >= '\u007F' && c <= '\u009F') || c == '\u2028' || c == '\u2029';
}
