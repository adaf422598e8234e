using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;

namespace SmtpOps.Spf;

/// <summary>
/// SPF macro strings (RFC 7208 section 7): validation of the syntax, and expansion for a check.
/// c, r and t are allowed only in explanation text (section 7.2).
/// </summary>
internal static class SpfMacro
{
    private const string Letters = "slodiphcrtv";
    private const string Delimiters = ".-+,/_=";

    /// <summary>Checks a macro-string; returns what is wrong, or <c>null</c> when it is valid.</summary>
    public static string? Validate(string text, bool explanation)
    {
        var invisible = text.FirstOrDefault(c => c is < '!' or > '~' && !(explanation && c == ' '));
        if (invisible != default(char))
        {
            return $"'{text}' has a character that is not a visible ASCII character (U+{(int)invisible:X4}, RFC 7208 section 7.1)";
        }

        foreach (var token in Tokens(text))
        {
            if (token.Error is not null)
            {
                return token.Error;
            }

            if (token.Letter is { } letter && !explanation && "crt".IndexOf(char.ToLowerInvariant(letter)) >= 0)
            {
                return $"the macro %{{{letter}}} is allowed only in explanation text (RFC 7208 section 7.2)";
            }
        }

        return null;
    }

    /// <summary>Whether the macro-string ends with a macro-expand (a domain-end of its own, RFC 7208 section 7.1).</summary>
    public static bool EndsWithMacro(string text)
    {
        var tokens = Tokens(text).ToList();
        return tokens.Count > 0 && tokens[tokens.Count - 1].Literal is null;
    }

    /// <summary>
    /// Expands a valid macro-string. Returns <c>null</c> when a macro needs a value the context does not
    /// have (no client address when records are only inspected).
    /// </summary>
    public static async Task<string?> ExpandAsync(string text, SpfMacroContext context, bool explanation)
    {
        var result = new StringBuilder();
        foreach (var token in Tokens(text))
        {
            if (token.Literal is { } literal)
            {
                result.Append(literal);
                continue;
            }

            var letter = token.Letter!.Value;
            var value = await context.ValueAsync(char.ToLowerInvariant(letter)).ConfigureAwait(false);
            if (value is null)
            {
                return null;
            }

            var parts = value.Split(token.Delimiters.ToCharArray()).ToList();
            if (token.Reverse)
            {
                parts.Reverse();
            }

            if (token.Keep is { } keep && keep < parts.Count)
            {
                parts = parts.Skip(parts.Count - keep).ToList();
            }

            var expanded = string.Join(".", parts);
            result.Append(char.IsUpper(letter) ? UrlEscape(expanded) : expanded);
        }

        var expandedText = result.ToString();
        return explanation ? expandedText : Truncate(expandedText);
    }

    // Section 7.3: a domain name longer than 253 characters loses labels from the left until it fits.
    private static string Truncate(string name)
    {
        while (name.TrimEnd('.').Length > 253)
        {
            var dot = name.IndexOf('.');
            if (dot < 0)
            {
                break;
            }

            name = name.Substring(dot + 1);
        }

        return name;
    }

    private static string UrlEscape(string value)
    {
        var escaped = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '_' or '~')
            {
                escaped.Append(c);
            }
            else
            {
                escaped.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return escaped.ToString();
    }

    private static IEnumerable<Token> Tokens(string text)
    {
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                literal.Append(c);
                continue;
            }

            if (i + 1 >= text.Length)
            {
                yield return Token.Invalid("a '%' ends the text: write '%%' for a percent sign (RFC 7208 section 7.1)");
                yield break;
            }

            var next = text[i + 1];
            if (next is '%' or '_' or '-')
            {
                literal.Append(next switch { '%' => "%", '_' => " ", _ => "%20" });
                i++;
                continue;
            }

            if (next != '{')
            {
                yield return Token.Invalid($"'%{next}' is not a macro: after '%' come '{{', '%', '_' or '-' (RFC 7208 section 7.1)");
                yield break;
            }

            var close = text.IndexOf('}', i + 2);
            if (close < 0)
            {
                yield return Token.Invalid($"the macro '{text.Substring(i)}' has no closing '}}' (RFC 7208 section 7.1)");
                yield break;
            }

            var body = text.Substring(i + 2, close - i - 2);
            var token = Token.Parse(body);
            if (token.Error is not null)
            {
                yield return token;
                yield break;
            }

            if (literal.Length > 0)
            {
                yield return Token.Text(literal.ToString());
                literal.Clear();
            }

            yield return token;
            i = close;
        }

        if (literal.Length > 0)
        {
            yield return Token.Text(literal.ToString());
        }
    }

    private sealed class Token
    {
        public string? Literal { get; private set; }

        public char? Letter { get; private set; }

        public int? Keep { get; private set; }

        public bool Reverse { get; private set; }

        public string Delimiters { get; private set; } = ".";

        public string? Error { get; private set; }

        public static Token Text(string literal) => new() { Literal = literal };

        public static Token Invalid(string error) => new() { Error = error };

        public static Token Parse(string body)
        {
            if (body.Length == 0 || Letters.IndexOf(char.ToLowerInvariant(body[0])) < 0)
            {
                return Invalid($"'%{{{body}}}' has no valid macro letter (one of {Letters}, RFC 7208 section 7.2)");
            }

            var i = 1;
            var digits = string.Empty;
            while (i < body.Length && char.IsDigit(body[i]))
            {
                digits += body[i++];
            }

            int? keep = null;
            if (digits.Length > 0)
            {
                if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n == 0 || n > 128)
                {
                    return Invalid($"'%{{{body}}}' keeps {digits} parts: the number must be 1 to 128 (RFC 7208 section 7.3)");
                }

                keep = n;
            }

            var reverse = false;
            if (i < body.Length && body[i] is 'r' or 'R')
            {
                reverse = true;
                i++;
            }

            var delimiters = body.Substring(i);
            if (delimiters.Any(d => SpfMacro.Delimiters.IndexOf(d) < 0))
            {
                return Invalid($"'%{{{body}}}' has an invalid transformer or delimiter (delimiters are {SpfMacro.Delimiters}, RFC 7208 section 7.1)");
            }

            return new Token
            {
                Letter = body[0],
                Keep = keep,
                Reverse = reverse,
                Delimiters = delimiters.Length == 0 ? "." : delimiters,
            };
        }
    }
}
