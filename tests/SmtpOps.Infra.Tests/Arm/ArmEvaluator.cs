using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmtpOps.Infra.Tests.Arm;

/// <summary>
/// Evaluates a compiled ARM template (what <c>bicep build</c> writes) the way Resource Manager would for one set of
/// parameter values, as far as these tests need: the template's parameters and variables, the functions Bicep emits for
/// functions/infra/main.bicep, and <c>reference()</c> answered by the caller with what the deployed resource would report
/// (its endpoints, client id). A function it does not know throws <see cref="NotSupportedException"/> naming it, so a new
/// construct in the template fails the tests instead of being skipped. Values: string, long, bool, null,
/// <see cref="List{T}"/> of values and <see cref="Dictionary{TKey, TValue}"/> (case-insensitive keys, as in ARM).
/// </summary>
internal sealed class ArmEvaluator
{
    /// <summary>The subscription the tests pretend to deploy to.</summary>
    public const string SubscriptionId = "00000000-0000-0000-0000-0000000000aa";

    /// <summary>The resource group the tests pretend to deploy to.</summary>
    public const string ResourceGroupName = "rg-relay-test";

    /// <summary>The tenant the tests pretend to deploy to.</summary>
    public const string TenantId = "00000000-0000-0000-0000-0000000000bb";

    private readonly JsonObject template;
    private readonly IReadOnlyDictionary<string, object?> parameterValues;
    private readonly Func<string, Dictionary<string, object?>> reference;
    private readonly Dictionary<string, object?> parameters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, object?> variables = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Initializes a new instance of the <see cref="ArmEvaluator"/> class.</summary>
    /// <param name="template">The compiled template.</param>
    /// <param name="parameterValues">Values of the parameters (the rest take their defaults; a required one without a value throws when used).</param>
    /// <param name="reference">Answers <c>reference(resourceId)</c> with the runtime properties of that resource.</param>
    public ArmEvaluator(JsonObject template, IReadOnlyDictionary<string, object?> parameterValues, Func<string, Dictionary<string, object?>> reference)
    {
        this.template = template;
        this.parameterValues = parameterValues;
        this.reference = reference;
        foreach (var name in parameterValues.Keys)
        {
            if (template["parameters"]?[name] is null)
            {
                throw new ArgumentException($"The template has no parameter '{name}'.", nameof(parameterValues));
            }
        }
    }

    /// <summary>Gets the template's resources (copy loops expanded), with the copy index each was evaluated with.</summary>
    /// <returns>Each resource and its copy index (null outside a loop).</returns>
    public IEnumerable<(JsonObject Resource, long? CopyIndex)> Resources()
    {
        foreach (var resource in template["resources"]!.AsArray().Select(r => r!.AsObject()))
        {
            if (resource["copy"] is JsonObject copy)
            {
                var count = (long)Evaluate(copy["count"], null)!;
                for (long i = 0; i < count; i++)
                {
                    yield return (resource, i);
                }
            }
            else
            {
                yield return (resource, null);
            }
        }
    }

    /// <summary>Evaluates a JSON value of the template: strings in brackets are expressions, objects and arrays are evaluated member by member.</summary>
    /// <param name="node">The value.</param>
    /// <param name="copyIndex">The index in the resource's copy loop, if any.</param>
    /// <returns>The value.</returns>
    public object? Evaluate(JsonNode? node, long? copyIndex)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (var (key, value) in obj)
                {
                    // A property name can be an expression too (a user-assigned identity's resource id).
                    result[(string)Evaluate(JsonValue.Create(key), copyIndex)!] = Evaluate(value, copyIndex);
                }

                return result;
            case JsonArray array:
                return array.Select(item => Evaluate(item, copyIndex)).ToList();
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                if (text.StartsWith("[[", StringComparison.Ordinal))
                {
                    return text.Substring(1);
                }

                return text.StartsWith('[') && text.EndsWith(']')
                    ? Evaluate(ArmExpression.Parse(text[1..^1]), new Scope(copyIndex, null))
                    : text;
            case JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                return value.GetValue<bool>();
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                return value.GetValue<long>();
            default:
                throw new NotSupportedException($"JSON value {node.ToJsonString()}");
        }
    }

    /// <summary>Tells whether a resource is deployed with these parameters (its <c>condition</c>).</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="copyIndex">Its copy index.</param>
    /// <returns>Whether it is deployed.</returns>
    public bool IsDeployed(JsonObject resource, long? copyIndex)
        => resource["condition"] is not { } condition || Evaluate(condition, copyIndex) is true;

    /// <summary>Gets the resource id of a resource of this template (resource-group scope).</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="copyIndex">Its copy index.</param>
    /// <returns>The id.</returns>
    public string ResourceId(JsonObject resource, long? copyIndex)
    {
        var type = resource["type"]!.GetValue<string>();
        var name = (string)Evaluate(resource["name"], copyIndex)!;
        return ResourceIdOf(type, name.Split('/'));
    }

    /// <summary>Gets a parameter's value (given, else its default).</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The value.</returns>
    public object? Parameter(string name)
    {
        if (parameters.TryGetValue(name, out var known))
        {
            return known;
        }

        var declaration = template["parameters"]?[name] ?? throw new KeyNotFoundException($"The template has no parameter '{name}'.");
        object? value;
        if (parameterValues.TryGetValue(name, out var given))
        {
            value = given;
        }
        else if (declaration["defaultValue"] is { } fallback)
        {
            value = Evaluate(fallback, null);
        }
        else
        {
            throw new InvalidOperationException($"The required parameter '{name}' has no value.");
        }

        parameters[name] = value;
        return value;
    }

    private static string ResourceIdOf(string type, IReadOnlyList<string> names)
    {
        var types = type.Split('/');
        if (types.Length - 1 != names.Count)
        {
            throw new ArgumentException($"{type} takes {types.Length - 1} names, got {names.Count}.");
        }

        var id = new StringBuilder($"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroupName}/providers/{types[0]}");
        for (var i = 0; i < names.Count; i++)
        {
            id.Append('/').Append(types[i + 1]).Append('/').Append(names[i]);
        }

        return id.ToString();
    }

    private static string Text(object? value) => value switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        null => string.Empty,
        _ => JsonSerializer.Serialize(value),
    };

    private static bool IsEmpty(object? value) => value switch
    {
        null => true,
        string s => s.Length == 0,
        List<object?> list => list.Count == 0,
        Dictionary<string, object?> obj => obj.Count == 0,
        _ => false,
    };

    private static string Hash(IEnumerable<object?> values, int length)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("|", values.Select(Text))));
        return Convert.ToHexString(bytes).ToLowerInvariant()[..length];
    }

    private object? Variable(string name)
    {
        if (variables.TryGetValue(name, out var known))
        {
            return known;
        }

        var declaration = template["variables"]?[name] ?? throw new KeyNotFoundException($"The template has no variable '{name}'.");
        var value = Evaluate(declaration, null);
        variables[name] = value;
        return value;
    }

    private object? Evaluate(ArmExpression expression, Scope scope) => expression switch
    {
        ArmLiteral literal => literal.Value,
        ArmMember member => Evaluate(member.Target, scope) is Dictionary<string, object?> obj && obj.TryGetValue(member.Name, out var property)
            ? property
            : throw new KeyNotFoundException($"No property '{member.Name}' in {Text(Evaluate(member.Target, scope))}"),
        ArmIndex index => (Evaluate(index.Target, scope), Evaluate(index.Index, scope)) switch
        {
            (List<object?> list, long i) => list[(int)i],
            (Dictionary<string, object?> obj, string key) => obj[key],
            var (target, key) => throw new NotSupportedException($"Indexing {Text(target)} with {Text(key)}"),
        },
        ArmCall call => Call(call, scope),
        _ => throw new NotSupportedException(expression.GetType().Name),
    };

    private object? Call(ArmCall call, Scope scope)
    {
        var name = call.Name.ToLowerInvariant();
        if (name == "lambda")
        {
            var parameterNames = call.Arguments.Take(call.Arguments.Count - 1).Select(a => (string)((ArmLiteral)a).Value).ToList();
            return new Lambda(parameterNames, call.Arguments[^1], scope);
        }

        if (name == "if")
        {
            return Evaluate(call.Arguments[0], scope) is true ? Evaluate(call.Arguments[1], scope) : Evaluate(call.Arguments[2], scope);
        }

        var args = call.Arguments.Select(a => Evaluate(a, scope)).ToList();
        return name switch
        {
            "parameters" => Parameter((string)args[0]!),
            "variables" => Variable((string)args[0]!),
            "lambdavariables" => scope.Lookup((string)args[0]!),
            "copyindex" => scope.CopyIndex ?? throw new InvalidOperationException("copyIndex() outside a copy loop"),
            "reference" => reference((string)args[0]!),
            "resourceid" => ResourceIdOf((string)args[0]!, args.Skip(1).Select(Text).ToList()),
            "subscriptionresourceid" => $"/subscriptions/{SubscriptionId}/providers/{args[0]}/{string.Join("/", args.Skip(1).Select(Text))}",
            "extensionresourceid" => $"{args[0]}/providers/{args[1]}/{string.Join("/", args.Skip(2).Select(Text))}",
            "resourcegroup" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
            {
                ["id"] = $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroupName}",
                ["name"] = ResourceGroupName,
                ["location"] = "swedencentral",
            },
            "subscription" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["id"] = $"/subscriptions/{SubscriptionId}", ["subscriptionId"] = SubscriptionId, ["tenantId"] = TenantId },
            "tenant" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["tenantId"] = TenantId },
            "environment" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
            {
                ["name"] = "AzureCloud",
                ["suffixes"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["storage"] = "core.windows.net", ["keyvaultDns"] = ".vault.azure.net" },
            },
            "uniquestring" => Hash(args, 13),
            "guid" => new Guid(Convert.FromHexString(Hash(args, 32))).ToString(),
            "format" => string.Format(CultureInfo.InvariantCulture, (string)args[0]!, args.Skip(1).Select(Text).ToArray<object>()),
            "concat" => args.All(a => a is List<object?>) ? args.SelectMany(a => (List<object?>)a!).ToList() : string.Concat(args.Select(Text)),
            "string" => Text(args[0]),
            "tolower" => ((string)args[0]!).ToLowerInvariant(),
            "replace" => ((string)args[0]!).Replace((string)args[1]!, (string)args[2]!, StringComparison.Ordinal),
            "trim" => ((string)args[0]!).Trim(),
            "split" => ((string)args[0]!).Split((string)args[1]!).Cast<object?>().ToList(),
            "take" => args[0] is string s ? s[..(int)Math.Min(s.Length, (long)args[1]!)] : ((List<object?>)args[0]!).Take((int)(long)args[1]!).ToList(),
            "length" => args[0] switch
            {
                string s => (long)s.Length,
                List<object?> list => (long)list.Count,
                Dictionary<string, object?> obj => (long)obj.Count,
                var other => throw new NotSupportedException($"length({Text(other)})"),
            },
            "empty" => IsEmpty(args[0]),
            "equals" => Equals(args[0], args[1]),
            "not" => !(bool)args[0]!,
            "and" => args.All(a => a is true),
            "or" => args.Any(a => a is true),
            "true" => true,
            "false" => false,
            "null" => null,
            "createobject" => Enumerable.Range(0, args.Count / 2).ToDictionary(i => (string)args[2 * i]!, i => args[(2 * i) + 1], StringComparer.OrdinalIgnoreCase),
            "createarray" => args,
            "union" => Union(args),
            "range" => Enumerable.Range((int)(long)args[0]!, (int)(long)args[1]!).Select(i => (object?)(long)i).ToList(),
            "map" => ((List<object?>)args[0]!).Select(item => ((Lambda)args[1]!).Invoke(this, item)).ToList(),
            "filter" => ((List<object?>)args[0]!).Where(item => ((Lambda)args[1]!).Invoke(this, item) is true).ToList(),
            "toobject" => ((List<object?>)args[0]!).ToDictionary(
                item => (string)((Lambda)args[1]!).Invoke(this, item)!,
                item => args.Count > 2 ? ((Lambda)args[2]!).Invoke(this, item) : item,
                StringComparer.OrdinalIgnoreCase),
            _ => throw new NotSupportedException($"The ARM function {call.Name}() is not known to the test's evaluator: add it to ArmEvaluator."),
        };
    }

    private static object? Union(List<object?> args)
    {
        if (args.All(a => a is Dictionary<string, object?>))
        {
            var merged = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var obj in args.Cast<Dictionary<string, object?>>())
            {
                foreach (var (key, value) in obj)
                {
                    merged[key] = value;
                }
            }

            return merged;
        }

        return args.SelectMany(a => (List<object?>)a!).Distinct().ToList();
    }

    private sealed record Scope(long? CopyIndex, Dictionary<string, object?>? LambdaVariables)
    {
        public object? Lookup(string name) => LambdaVariables is not null && LambdaVariables.TryGetValue(name, out var value)
            ? value
            : throw new KeyNotFoundException($"No lambda variable '{name}'.");
    }

    private sealed record Lambda(IReadOnlyList<string> Parameters, ArmExpression Body, Scope Outer)
    {
        public object? Invoke(ArmEvaluator evaluator, object? argument)
        {
            var bound = new Dictionary<string, object?>(Outer.LambdaVariables ?? new(), StringComparer.Ordinal) { [Parameters[0]] = argument };
            return evaluator.Evaluate(Body, Outer with { LambdaVariables = bound });
        }
    }
}
