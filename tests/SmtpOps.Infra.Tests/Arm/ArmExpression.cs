using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SmtpOps.Infra.Tests.Arm;

/// <summary>
/// One parsed ARM template language expression (the text between <c>[</c> and <c>]</c>): function calls, string and
/// integer literals, property access (<c>.name</c>) and indexing (<c>[expr]</c>). Evaluated by <see cref="ArmEvaluator"/>.
/// </summary>
internal abstract record ArmExpression
{
    /// <summary>Parses an expression.</summary>
    /// <param name="text">The expression without its brackets.</param>
    /// <returns>The expression tree.</returns>
    public static ArmExpression Parse(string text)
    {
        var position = 0;
        var expression = ParseExpression(text, ref position);
        SkipSpace(text, ref position);
        if (position != text.Length)
        {
            throw new FormatException($"Unexpected '{text[position]}' at {position} in ARM expression: {text}");
        }

        return expression;
    }

    private static ArmExpression ParseExpression(string text, ref int position)
    {
        SkipSpace(text, ref position);
        ArmExpression expression = ParsePrimary(text, ref position);
        while (position < text.Length)
        {
            if (text[position] == '.')
            {
                position++;
                expression = new ArmMember(expression, ReadIdentifier(text, ref position));
            }
            else if (text[position] == '[')
            {
                position++;
                var index = ParseExpression(text, ref position);
                Expect(text, ref position, ']');
                expression = new ArmIndex(expression, index);
            }
            else
            {
                break;
            }
        }

        return expression;
    }

    private static ArmExpression ParsePrimary(string text, ref int position)
    {
        SkipSpace(text, ref position);
        var c = text[position];
        if (c == '\'')
        {
            var literal = new StringBuilder();
            position++;
            while (true)
            {
                if (text[position] == '\'')
                {
                    if (position + 1 < text.Length && text[position + 1] == '\'')
                    {
                        literal.Append('\'');
                        position += 2;
                        continue;
                    }

                    position++;
                    return new ArmLiteral(literal.ToString());
                }

                literal.Append(text[position++]);
            }
        }

        if (char.IsDigit(c) || c == '-')
        {
            var start = position++;
            while (position < text.Length && char.IsDigit(text[position]))
            {
                position++;
            }

            return new ArmLiteral(long.Parse(text.AsSpan(start, position - start), CultureInfo.InvariantCulture));
        }

        var name = ReadIdentifier(text, ref position);
        Expect(text, ref position, '(');
        var arguments = new List<ArmExpression>();
        SkipSpace(text, ref position);
        if (text[position] != ')')
        {
            while (true)
            {
                arguments.Add(ParseExpression(text, ref position));
                SkipSpace(text, ref position);
                if (text[position] == ',')
                {
                    position++;
                    continue;
                }

                break;
            }
        }

        Expect(text, ref position, ')');
        return new ArmCall(name, arguments);
    }

    private static string ReadIdentifier(string text, ref int position)
    {
        SkipSpace(text, ref position);
        var start = position;
        while (position < text.Length && (char.IsLetterOrDigit(text[position]) || text[position] == '_'))
        {
            position++;
        }

        if (start == position)
        {
            throw new FormatException($"Expected a name at {position} in ARM expression: {text}");
        }

        return text.Substring(start, position - start);
    }

    private static void Expect(string text, ref int position, char expected)
    {
        SkipSpace(text, ref position);
        if (position >= text.Length || text[position] != expected)
        {
            throw new FormatException($"Expected '{expected}' at {position} in ARM expression: {text}");
        }

        position++;
    }

    private static void SkipSpace(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }
}

/// <summary>A string or integer literal.</summary>
internal sealed record ArmLiteral(object Value) : ArmExpression;

/// <summary>A function call.</summary>
internal sealed record ArmCall(string Name, IReadOnlyList<ArmExpression> Arguments) : ArmExpression;

/// <summary>A property access.</summary>
internal sealed record ArmMember(ArmExpression Target, string Name) : ArmExpression;

/// <summary>An index into an array or object.</summary>
internal sealed record ArmIndex(ArmExpression Target, ArmExpression Index) : ArmExpression;
