using System.Collections.Generic;

namespace SmtpOps.Infra.Tests.Deployment;

/// <summary>A resource the template deploys with the test's parameters: its type, id and evaluated body.</summary>
/// <param name="Type">The resource type.</param>
/// <param name="Id">The resource id.</param>
/// <param name="Body">The evaluated resource declaration (name, properties, scope, ...).</param>
internal sealed record DeployedResource(string Type, string Id, Dictionary<string, object?> Body)
{
    /// <summary>Gets the last segment of the resource's name.</summary>
    public string Name => Id[(Id.LastIndexOf('/') + 1)..];

    /// <summary>Gets the evaluated <c>properties</c> object.</summary>
    public Dictionary<string, object?> Properties => (Dictionary<string, object?>)Body["properties"]!;

    /// <summary>Reads a value along a path of property names.</summary>
    /// <param name="path">Property names, e.g. "properties", "functionAppConfig", "runtime", "name".</param>
    /// <returns>The value.</returns>
    public object? Get(params string[] path)
    {
        object? current = Body;
        foreach (var name in path)
        {
            current = current is Dictionary<string, object?> obj && obj.TryGetValue(name, out var next)
                ? next
                : throw new KeyNotFoundException($"{Type} {Name} has no {string.Join(".", path)} (stopped at {name}).");
        }

        return current;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Type} {Id}";
}
