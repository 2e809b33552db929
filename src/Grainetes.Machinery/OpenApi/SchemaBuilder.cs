using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Grainetes.Machinery.OpenApi;

/// <summary>
/// Generates OpenAPI schemas for k8s.Models types by reflection, into one document's schema set.
/// OpenAPI v3 wraps references in <c>allOf</c> as the kube-apiserver does (kubectl resolves both forms);
/// Swagger 2.0 uses bare <c>$ref</c> and has no <c>anyOf</c>.
/// </summary>
internal sealed class SchemaBuilder
{
    private readonly SchemaNames names;
    private readonly bool v3;
    private readonly Dictionary<Type, string> generated = new();

    public SchemaBuilder(SchemaNames names, bool v3)
    {
        this.names = names;
        this.v3 = v3;
    }

    public SortedDictionary<string, JsonObject> Schemas { get; } = new(StringComparer.Ordinal);

    public string RefPrefix => v3 ? "#/components/schemas/" : "#/definitions/";

    /// <summary>A bare reference, as operations use it.</summary>
    public JsonObject Ref(Type type) => new() { ["$ref"] = RefPrefix + Add(type) };

    /// <summary>Ensures <paramref name="type"/> (and everything it reaches) has a schema; returns its name.</summary>
    public string Add(Type type)
    {
        if (generated.TryGetValue(type, out var existing)) return existing;
        var name = names.For(type);
        generated[type] = name;

        if (type == typeof(V1Patch))
        {
            Schemas[name] = new JsonObject
            {
                ["description"] = "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
                ["type"] = "object",
            };
            return name;
        }

        var properties = new JsonObject();
        var schema = new JsonObject { ["type"] = "object", ["properties"] = properties };
        Schemas[name] = schema;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonPropertyNameAttribute>() is not { } json) continue;
            var propertySchema = ForType(property.PropertyType);
            if (PatchStrategies.For(type, json.Name) is { } patch)
            {
                if (patch.MergeKey is not null) propertySchema["x-kubernetes-patch-merge-key"] = patch.MergeKey;
                propertySchema["x-kubernetes-patch-strategy"] = patch.Strategy;
            }

            properties[json.Name] = propertySchema;
        }

        if (type.GetCustomAttribute<KubernetesEntityAttribute>() is { } entity)
        {
            schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject
            {
                ["group"] = entity.Group ?? "",
                ["version"] = entity.ApiVersion,
                ["kind"] = entity.Kind,
            });
        }

        return name;
    }

    private JsonObject ForType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return Primitive("string");
        if (type == typeof(bool)) return Primitive("boolean");
        if (type == typeof(int)) return Primitive("integer", "int32");
        if (type == typeof(long)) return Primitive("integer", "int64");
        if (type == typeof(double) || type == typeof(float)) return Primitive("number", "double");
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset)) return Primitive("string", "date-time");
        if (type == typeof(byte[])) return Primitive("string", "byte");
        if (type == typeof(ResourceQuantity)) return Primitive("string", "quantity");
        if (type == typeof(IntOrString))
        {
            return v3
                ? new JsonObject
                {
                    ["x-kubernetes-int-or-string"] = true,
                    ["anyOf"] = new JsonArray(Primitive("integer"), Primitive("string")),
                }
                : Primitive("string", "int-or-string");
        }

        if (type == typeof(object))
        {
            var any = Primitive("object");
            if (v3) any["x-kubernetes-preserve-unknown-fields"] = true;
            return any;
        }

        if (type.IsGenericType && DictionaryValue(type) is { } value)
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = ForType(value) };
        }

        if (type.IsGenericType && ListItem(type) is { } item)
        {
            return new JsonObject { ["type"] = "array", ["items"] = ForType(item) };
        }

        if (type.IsClass && type.Namespace == typeof(V1Pod).Namespace && !type.IsGenericType)
        {
            var reference = Ref(type);
            return v3 ? new JsonObject { ["allOf"] = new JsonArray(reference) } : reference;
        }

        // Nothing in k8s.Models should get here; an open object keeps clients from rejecting it.
        return Primitive("object");
    }

    private static Type? DictionaryValue(Type type) =>
        type.GetGenericTypeDefinition() is var d && (d == typeof(IDictionary<,>) || d == typeof(Dictionary<,>) || d == typeof(IReadOnlyDictionary<,>))
            ? type.GetGenericArguments()[1]
            : null;

    private static Type? ListItem(Type type) =>
        type.GetGenericTypeDefinition() is var d && (d == typeof(IList<>) || d == typeof(List<>) || d == typeof(IEnumerable<>) || d == typeof(IReadOnlyList<>) || d == typeof(ICollection<>))
            ? type.GetGenericArguments()[0]
            : null;

    private static JsonObject Primitive(string type, string? format = null)
    {
        var schema = new JsonObject { ["type"] = type };
        if (format is not null) schema["format"] = format;
        return schema;
    }
}
