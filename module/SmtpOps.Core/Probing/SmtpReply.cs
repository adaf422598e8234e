using System.Collections.Generic;

namespace SmtpOps.Probing;

/// <summary>A server reply: its code and text lines (a multi-line reply has several).</summary>
public sealed class SmtpReply
{
    /// <summary>Creates a reply.</summary>
    /// <param name="code">The three-digit code.</param>
    /// <param name="lines">The text of each line, without code and separator.</param>
    public SmtpReply(int code, IReadOnlyList<string> lines)
    {
        Code = code;
        Lines = lines;
    }

    /// <summary>Gets the three-digit reply code.</summary>
    public int Code { get; }

    /// <summary>Gets the text of each line.</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>Gets the text of all lines, joined by spaces.</summary>
    public string Text => string.Join(" ", Lines);

    /// <summary>Gets whether the code is 2xx.</summary>
    public bool IsPositive => Code is >= 200 and < 300;

    /// <inheritdoc />
    public override string ToString() => $"{Code} {Text}";
}
