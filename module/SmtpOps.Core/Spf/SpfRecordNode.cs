using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace SmtpOps.Spf;

/// <summary>
/// One domain's SPF record in the tree of a check: the record, how it was reached (include or
/// redirect), its result and the records it led to.
/// </summary>
public sealed class SpfRecordNode
{
    /// <summary>Creates the node.</summary>
    /// <param name="domain">The domain whose record this is.</param>
    /// <param name="via">The term that led here (include:x, redirect=x), or <c>null</c> for the checked domain.</param>
    /// <param name="record">The SPF record, or <c>null</c> when the domain has none (or the lookup failed).</param>
    /// <param name="result">The result of check_host() for this domain; <c>null</c> when no address was checked and nothing failed.</param>
    /// <param name="children">The records reached by include and redirect, in order.</param>
    public SpfRecordNode(string domain, string? via, string? record, SpfResult? result, IEnumerable<SpfRecordNode> children)
    {
        Domain = domain;
        Via = via;
        Record = record;
        Result = result;
        Children = children.ToList().AsReadOnly();
    }

    /// <summary>Gets the domain whose record this is.</summary>
    public string Domain { get; }

    /// <summary>Gets the term that led here (include:x, redirect=x), or <c>null</c> for the checked domain.</summary>
    public string? Via { get; }

    /// <summary>Gets the SPF record, or <c>null</c> when the domain has none (or the lookup failed).</summary>
    public string? Record { get; }

    /// <summary>Gets the result of check_host() for this domain; <c>null</c> when no address was checked and nothing failed.</summary>
    public SpfResult? Result { get; }

    /// <summary>Gets the records reached by include and redirect, in order.</summary>
    public IReadOnlyList<SpfRecordNode> Children { get; }

    /// <summary>The tree from this node, one record per line, indented by depth.</summary>
    /// <returns>The tree as text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        Append(text, 0);
        return text.ToString().TrimEnd();
    }

    private void Append(StringBuilder text, int depth)
    {
        text.Append(' ', depth * 2)
            .Append(Via is null ? Domain : $"{Via}")
            .Append(": ")
            .Append(Record ?? "(no SPF record)");
        if (Result is { } result)
        {
            text.Append(" => ").Append(result.ToString().ToLowerInvariant());
        }

        text.AppendLine();
        foreach (var child in Children)
        {
            child.Append(text, depth + 1);
        }
    }
}
