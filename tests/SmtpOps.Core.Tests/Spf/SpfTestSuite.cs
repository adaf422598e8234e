using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using YamlDotNet.RepresentationModel;

namespace SmtpOps.Tests.Spf;

/// <summary>
/// The openspf RFC 7208 test suite (release 2014.04), read from the copy Debian's python3-spf installs
/// (tests/rig/debian-packages.txt): it is another project's data, so it is read at test time, never
/// committed. Each scenario is a sender, client address, HELO name and expected result(s) over a zone.
/// </summary>
public static class SpfTestSuite
{
    public const string Path = "/usr/share/doc/python3-spf/rfc7208-tests.yml.gz";

    static readonly Lazy<IReadOnlyDictionary<string, SpfTestScenario>> Loaded = new(Load);

    public static bool IsInstalled => File.Exists(Path);

    public static IReadOnlyDictionary<string, SpfTestScenario> Scenarios => Loaded.Value;

    static IReadOnlyDictionary<string, SpfTestScenario> Load()
    {
        using var file = File.OpenRead(Path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var stream = new YamlStream();
        stream.Load(reader);
        var scenarios = new Dictionary<string, SpfTestScenario>(StringComparer.Ordinal);
        foreach (var document in stream.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var zone = new SpfTestZone((YamlMappingNode)root.Children[new YamlScalarNode("zonedata")]);
            var description = Scalar(root, "description") ?? string.Empty;
            foreach (var (key, value) in ((YamlMappingNode)root.Children[new YamlScalarNode("tests")]).Children)
            {
                var test = (YamlMappingNode)value;
                var results = test.Children[new YamlScalarNode("result")] switch
                {
                    YamlSequenceNode many => many.Children.Select(r => ((YamlScalarNode)r).Value!).ToList(),
                    var one => new List<string> { ((YamlScalarNode)one).Value! },
                };
                var id = ((YamlScalarNode)key).Value!;
                scenarios[id] = new SpfTestScenario(
                    id,
                    description,
                    Scalar(test, "spec") ?? string.Empty,
                    Scalar(test, "host")!,
                    Scalar(test, "mailfrom") ?? string.Empty,
                    Scalar(test, "helo") ?? string.Empty,
                    results,
                    Scalar(test, "explanation"),
                    zone);
            }
        }

        return scenarios;
    }

    internal static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;
}
