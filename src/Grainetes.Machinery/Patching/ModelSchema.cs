using System.Reflection;
using System.Text.Json.Serialization;

namespace Grainetes.Machinery.Patching;

/// <summary>
/// Walks the <c>k8s.Models</c> types by wire (JSON) name so patch code knows which model type a nested JSON
/// object is. A <c>null</c> type means "unknown here" (free-form maps, <c>object</c> fields): no merge metadata.
/// </summary>
internal static class ModelSchema
{
    /// <summary>The model type of member <paramref name="field"/> of an object of <paramref name="type"/>.</summary>
    public static Type? Member(Type? type, string field)
    {
        if (type is null) return null;
        if (DictionaryValueType(type) is { } valueType) return Unwrap(valueType);

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? property.Name;
            if (name == field) return Unwrap(property.PropertyType);
        }

        return null;
    }

    /// <summary>The element type of a list-typed member, or <c>null</c> if it is not a known list.</summary>
    public static Type? Element(Type? listType)
    {
        if (listType is null || listType == typeof(string) || listType == typeof(byte[])) return null;
        var enumerable = listType.IsGenericType && listType.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? listType
            : listType.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable is null ? null : Unwrap(enumerable.GetGenericArguments()[0]);
    }

    private static Type? DictionaryValueType(Type type)
    {
        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return dictionary?.GetGenericArguments()[1];
    }

    private static Type Unwrap(Type type) => Nullable.GetUnderlyingType(type) ?? type;
}
