using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Spf;
using YamlDotNet.RepresentationModel;

namespace SmtpOps.Tests.Spf;

/// <summary>
/// An in-process resolver fed from a scenario's zonedata, read as the suite's own driver (pyspf's
/// testspf.py) reads it: type SPF records stand in for TXT when a name has no TXT ("TXT: NONE" says
/// there is none), a TIMEOUT entry fails queries for types not yet seen, a TIMEOUT value fails its
/// type, names under "error." fail, other unknown names are NXDOMAIN, one level of CNAME is followed.
/// </summary>
public sealed class SpfTestZone : ISpfDnsResolver
{
    readonly Dictionary<string, List<Entry>> names = new(StringComparer.Ordinal);

    public SpfTestZone(YamlMappingNode zonedata)
    {
        foreach (var (key, value) in zonedata.Children)
        {
            var name = Normalize(((YamlScalarNode)key).Value!);
            var entries = new List<Entry>();
            var generated = new List<Entry>();
            var hasTxt = false;
            foreach (var item in ((YamlSequenceNode)value).Children)
            {
                if (item is YamlScalarNode { Value: "TIMEOUT" })
                {
                    entries.Add(new Entry("TIMEOUT", null));
                    continue;
                }

                foreach (var (typeNode, data) in ((YamlMappingNode)item).Children)
                {
                    var type = ((YamlScalarNode)typeNode).Value!.ToUpperInvariant();
                    var text = type switch
                    {
                        "TXT" or "SPF" => data is YamlSequenceNode strings ? string.Concat(strings.Children.Select(s => ((YamlScalarNode)s).Value)) : ((YamlScalarNode)data).Value,
                        "MX" => ((YamlScalarNode)((YamlSequenceNode)data).Children[1]).Value,
                        _ => ((YamlScalarNode)data).Value,
                    };
                    var entry = new Entry(type, text == "NONE" ? null : text) { IsTimeout = text == "TIMEOUT" };
                    if (type == "TXT")
                    {
                        hasTxt = true;
                    }
                    else if (type == "SPF")
                    {
                        generated.Add(entry with { Type = "TXT" });
                    }

                    if (text != "NONE")
                    {
                        entries.Add(entry);
                    }
                }
            }

            if (!hasTxt)
            {
                entries.AddRange(generated);
            }

            names[name] = entries;
        }
    }

    public Task<SpfDnsAnswer> QueryAsync(string name, SpfDnsQueryType type, CancellationToken cancellationToken) =>
        Task.FromResult(Query(name, type.ToString().ToUpperInvariant(), followAlias: true));

    static string Normalize(string name) => string.Join(".", name.Split('.').Where(l => l.Length > 0)).ToLowerInvariant();

    SpfDnsAnswer Query(string name, string type, bool followAlias)
    {
        if (name.Split('.').Any(l => l.Length > 63))
        {
            return SpfDnsAnswer.Failed("DNS label too long");
        }

        var key = Normalize(name);
        if (!names.TryGetValue(key, out var entries))
        {
            return key.StartsWith("error.", StringComparison.Ordinal) ? SpfDnsAnswer.Failed("timeout") : SpfDnsAnswer.NameError();
        }

        var records = new List<string>();
        var seen = false;
        foreach (var entry in entries)
        {
            if (entry.Type == "TIMEOUT")
            {
                if (!seen)
                {
                    return SpfDnsAnswer.Failed("timeout");
                }

                break;
            }

            if (entry.Type == type)
            {
                seen = true;
                if (entry.IsTimeout)
                {
                    return SpfDnsAnswer.Failed("timeout");
                }

                records.Add(entry.Value!);
            }
            else if (entry.Type == "CNAME" && followAlias && !entry.IsTimeout)
            {
                var target = Query(entry.Value!, type, followAlias: false);
                if (target.Status == SpfDnsStatus.Failure)
                {
                    return target;
                }

                records.AddRange(target.Records);
            }
        }

        return SpfDnsAnswer.Found(records);
    }

    sealed record Entry(string Type, string? Value)
    {
        public bool IsTimeout { get; init; }
    }
}
