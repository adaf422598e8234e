using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Spf;

/// <summary>A node of the record tree while the check runs; built into an immutable <see cref="SpfRecordNode"/> at the end.</summary>
internal sealed class SpfNodeBuilder
{
    public SpfNodeBuilder(string domain, string? via)
    {
        Domain = domain;
        Via = via;
    }

    public string Domain { get; }

    public string? Via { get; }

    public string? Record { get; set; }

    public string? Note { get; set; }

    public SpfResult? Result { get; set; }

    public List<SpfNodeBuilder> Children { get; } = new();

    public SpfRecordNode Build() => new(Domain, Via, Record ?? (Note is null ? null : $"({Note})"), Result, Children.Select(c => c.Build()));
}
