using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Grainetes.Machinery.Validation;

/// <summary>
/// Finds JSON fields that a <c>k8s.Models</c> type does not declare, for <c>fieldValidation=Strict</c>
/// (kubectl's default since 1.27) and Warn. Reflection results are cached per instance: register one
/// detector as a singleton.
/// </summary>
public sealed class UnknownFieldDetector
{
    private readonly ConcurrentDictionary<Type, Shape> shapes = new();

    private enum ShapeKind
    {
        /// <summary>A scalar or opaque value whose contents are not checked.</summary>
        Leaf,
        Model,
        List,
        Map,
    }

    /// <summary>The paths of undeclared fields, such as <c>.spec.containers[0].imagePullPolicyy</c>, in document order.</summary>
    public IReadOnlyList<string> Find(Type modelType, JsonNode? json)
    {
        ArgumentNullException.ThrowIfNull(modelType);
        var found = new List<string>();
        Walk(modelType, json, "", found);
        return found;
    }

    /// <summary>
    /// The message a Kubernetes API server gives for strict decoding failures:
    /// <c>strict decoding error: unknown field "spec.foo", unknown field "spec.bar"</c>.
    /// </summary>
    public static string FormatStrictDecodingError(IReadOnlyList<string> paths) =>
        "strict decoding error: " + string.Join(", ", paths.Select(p => $"unknown field \"{p.TrimStart('.')}\""));

    private void Walk(Type type, JsonNode? json, string path, List<string> found)
    {
        if (json is null) return;
        var shape = shapes.GetOrAdd(type, Describe);
        switch (shape.Kind)
        {
            case ShapeKind.Model when json is JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    var childPath = $"{path}.{name}";
                    if (shape.Properties!.TryGetValue(name, out var propertyType)) Walk(propertyType, value, childPath, found);
                    else found.Add(childPath);
                }

                break;
            case ShapeKind.List when json is JsonArray array:
                for (var i = 0; i < array.Count; i++) Walk(shape.ElementType!, array[i], $"{path}[{i}]", found);
                break;
            case ShapeKind.Map when json is JsonObject map:
                foreach (var (key, value) in map) Walk(shape.ElementType!, value, $"{path}.{key}", found);
                break;
        }

        // Values of the wrong JSON type are a decoding error, not an unknown field; they are someone else's to report.
    }

    private static Shape Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsLeaf(type)) return new Shape(ShapeKind.Leaf, null, null);

        var dictionary = FindGeneric(type, typeof(IDictionary<,>)) ?? FindGeneric(type, typeof(IReadOnlyDictionary<,>));
        if (dictionary is not null && dictionary.GetGenericArguments()[0] == typeof(string))
        {
            return new Shape(ShapeKind.Map, dictionary.GetGenericArguments()[1], null);
        }

        var enumerable = FindGeneric(type, typeof(IEnumerable<>));
        if (enumerable is not null) return new Shape(ShapeKind.List, enumerable.GetGenericArguments()[0], null);

        if (type.IsClass && type.Namespace == typeof(V1Pod).Namespace)
        {
            var properties = new Dictionary<string, Type>(StringComparer.Ordinal);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length > 0 || property.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always }) continue;
                var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);
                properties[name] = property.PropertyType;
            }

            return new Shape(ShapeKind.Model, null, properties);
        }

        // Anything else (a type from another library) is opaque rather than guessed at.
        return new Shape(ShapeKind.Leaf, null, null);
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(object) ||
        type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid) ||
        type == typeof(byte[]) || type == typeof(JsonElement) || typeof(JsonNode).IsAssignableFrom(type) ||
        type == typeof(IntOrString) || type == typeof(ResourceQuantity) ||

        // A type with its own converter has its own wire form (quantities, int-or-string, times), not fields.
        type.GetCustomAttribute<JsonConverterAttribute>() is not null;

    private static Type? FindGeneric(Type type, Type definition)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition) return type;
        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition);
    }

    private sealed record Shape(ShapeKind Kind, Type? ElementType, IReadOnlyDictionary<string, Type>? Properties);
}
