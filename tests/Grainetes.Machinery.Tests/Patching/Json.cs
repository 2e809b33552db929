using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Tests.Patching;

/// <summary>Test helpers: parse JSON literals and compare trees structurally (member order ignored).</summary>
internal static class Json
{
    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    public static JsonArray Arr(string json) => JsonNode.Parse(json)!.AsArray();

    public static void Equal(string expected, JsonNode? actual)
    {
        var expectedNode = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(expectedNode, actual), $"expected {expectedNode?.ToJsonString()}\n  actual {actual?.ToJsonString()}");
    }

    /// <summary>Asserts that running <paramref name="action"/> leaves every given tree exactly as it was.</summary>
    public static void Unchanged(Action action, params JsonNode[] inputs)
    {
        var before = inputs.Select(i => i.ToJsonString()).ToList();
        action();
        Assert.Equal(before, inputs.Select(i => i.ToJsonString()).ToList());
    }
}
