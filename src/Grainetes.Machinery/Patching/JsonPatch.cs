using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

/// <summary>RFC 6902 JSON patch (<c>application/json-patch+json</c>).</summary>
public static class JsonPatch
{
    /// <summary>
    /// Applies <paramref name="operations"/> in order to a copy of <paramref name="target"/>; all or nothing.
    /// A malformed patch document is a 400 BadRequest; an operation that cannot be applied (missing path,
    /// failed <c>test</c>, out-of-range index) is a 422 Invalid, as the Kubernetes API server answers.
    /// </summary>
    public static JsonObject Apply(JsonObject target, JsonArray operations)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(operations);

        // Parse everything first so a malformed document is rejected before any operation runs.
        var parsed = operations.Select((node, i) => Operation.Parse(node, i)).ToList();

        JsonNode? document = target.DeepClone();
        foreach (var operation in parsed)
        {
            document = operation.Apply(document);
        }

        return document as JsonObject
            ?? throw PatchErrors.CannotApply("the patched document is not a JSON object");
    }

    private sealed record Operation(string Op, JsonPointer Path, JsonPointer? From, JsonNode? Value)
    {
        public static Operation Parse(JsonNode? node, int index)
        {
            if (node is not JsonObject obj)
                throw PatchErrors.Malformed($"json patch operation {index} is not a JSON object");

            var op = ReadString(obj, "op", index)
                ?? throw PatchErrors.Malformed($"json patch operation {index} has no \"op\"");
            var pathText = ReadString(obj, "path", index)
                ?? throw PatchErrors.Malformed($"json patch operation {index} ({op}) has no \"path\"");
            var path = ParsePointer(pathText, index);

            JsonPointer? from = null;
            JsonNode? value = null;
            switch (op)
            {
                case "add":
                case "replace":
                case "test":
                    if (!obj.TryGetPropertyValue("value", out value))
                        throw PatchErrors.Malformed($"json patch operation {index} ({op}) has no \"value\"");
                    break;
                case "move":
                case "copy":
                    var fromText = ReadString(obj, "from", index)
                        ?? throw PatchErrors.Malformed($"json patch operation {index} ({op}) has no \"from\"");
                    from = ParsePointer(fromText, index);
                    break;
                case "remove":
                    break;
                default:
                    throw PatchErrors.Malformed($"json patch operation {index} has unsupported op \"{op}\"");
            }

            return new Operation(op, path, from, value);
        }

        public JsonNode? Apply(JsonNode? document) => Op switch
        {
            "add" => Add(document, Path, JsonValues.Clone(Value)),
            "remove" => Remove(document, Path, out _),
            "replace" => Replace(document),
            "move" => Move(document),
            "copy" => Add(document, Path, JsonValues.Clone(Get(document, From!))),
            "test" => Test(document),
            _ => throw new InvalidOperationException($"unvalidated op {Op}"),
        };

        private JsonNode? Replace(JsonNode? document)
        {
            if (Path.IsRoot) return JsonValues.Clone(Value);
            var (parent, token) = Parent(document, Path);
            switch (parent)
            {
                case JsonObject obj:
                    if (!obj.ContainsKey(token)) throw Missing(Path);
                    obj[token] = JsonValues.Clone(Value);
                    break;
                case JsonArray array:
                    array[ExistingIndex(array, token, Path)] = JsonValues.Clone(Value);
                    break;
            }

            return document;
        }

        private JsonNode? Move(JsonNode? document)
        {
            if (Path.IsStrictDescendantOf(From!))
                throw PatchErrors.CannotApply($"json patch move: \"{From}\" cannot be moved into its own child \"{Path}\"");
            if (From!.Text == Path.Text)
            {
                Get(document, From);
                return document;
            }

            document = Remove(document, From, out var value);
            return Add(document, Path, value);
        }

        private JsonNode? Test(JsonNode? document)
        {
            var actual = Get(document, Path);
            if (!JsonValues.DeepEquals(actual, Value))
                throw PatchErrors.CannotApply($"json patch test operation failed: value at \"{Path}\" is not equal to the expected value");
            return document;
        }
    }

    private static JsonNode? Add(JsonNode? document, JsonPointer path, JsonNode? value)
    {
        if (path.IsRoot) return value;
        var (parent, token) = Parent(document, path);
        switch (parent)
        {
            case JsonObject obj:
                obj[token] = value;
                break;
            case JsonArray array:
                if (token == "-")
                {
                    array.Add(value);
                    break;
                }

                var index = ParseIndex(token, path);
                if (index > array.Count)
                    throw PatchErrors.CannotApply($"json patch add: index {index} is out of bounds at \"{path}\"");
                array.Insert(index, value);
                break;
        }

        return document;
    }

    private static JsonNode? Remove(JsonNode? document, JsonPointer path, out JsonNode? removed)
    {
        if (path.IsRoot) throw PatchErrors.CannotApply("json patch remove: the whole document cannot be removed");
        var (parent, token) = Parent(document, path);
        switch (parent)
        {
            case JsonObject obj:
                if (!obj.Remove(token, out removed)) throw Missing(path);
                break;
            case JsonArray array:
                var index = ExistingIndex(array, token, path);
                removed = array[index];
                array.RemoveAt(index);
                break;
            default:
                throw Missing(path);
        }

        return document;
    }

    private static JsonNode? Get(JsonNode? document, JsonPointer path)
    {
        var current = document;
        foreach (var token in path.Tokens)
        {
            current = current switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray array => array[ExistingIndex(array, token, path)],
                _ => throw Missing(path),
            };
        }

        return current;
    }

    // The container that `path` points into, which must exist and be an object or array.
    private static (JsonNode Parent, string Token) Parent(JsonNode? document, JsonPointer path)
    {
        var current = document;
        for (var i = 0; i < path.Tokens.Count - 1; i++)
        {
            var token = path.Tokens[i];
            current = current switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray array => array[ExistingIndex(array, token, path)],
                _ => throw Missing(path),
            };
        }

        if (current is not (JsonObject or JsonArray)) throw Missing(path);
        return (current, path.Tokens[^1]);
    }

    private static int ExistingIndex(JsonArray array, string token, JsonPointer path)
    {
        var index = ParseIndex(token, path);
        if (index >= array.Count)
            throw PatchErrors.CannotApply($"json patch: index {index} is out of bounds at \"{path}\"");
        return index;
    }

    // RFC 6901: an array index is "0" or digits without a leading zero; "-" only means "append" for add.
    private static int ParseIndex(string token, JsonPointer path)
    {
        var valid = token.Length > 0 && token.All(char.IsAsciiDigit) && (token.Length == 1 || token[0] != '0');
        if (!valid || !int.TryParse(token, out var index))
            throw PatchErrors.CannotApply($"json patch: \"{token}\" is not a valid array index at \"{path}\"");
        return index;
    }

    private static Exception Missing(JsonPointer path) =>
        PatchErrors.CannotApply($"json patch: doc is missing path \"{path}\"");

    private static string? ReadString(JsonObject obj, string name, int index)
    {
        if (!obj.TryGetPropertyValue(name, out var node) || node is null) return null;
        if (node is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String)
            return JsonValues.GetString(value);
        throw PatchErrors.Malformed($"json patch operation {index}: \"{name}\" must be a string");
    }

    private static JsonPointer ParsePointer(string text, int index) =>
        JsonPointer.TryParse(text, out var pointer)
            ? pointer
            : throw PatchErrors.Malformed($"json patch operation {index}: \"{text}\" is not a valid JSON pointer");
}
