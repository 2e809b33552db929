using Grainetes.Machinery.Patching;

namespace Grainetes.Machinery.Tests.Patching;

public sealed class JsonMergePatchTests
{
    // RFC 7386 Appendix A, the rows whose target and patch are objects (the API only merges objects).
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Rfc7386AppendixA(string target, string patch, string expected)
    {
        Json.Equal(expected, JsonMergePatch.Apply(Json.Obj(target), Json.Obj(patch)));
    }

    [Fact]
    public void Rfc7386Section3Example()
    {
        var target = Json.Obj("""
            {"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},"tags":["example","sample"],"content":"This will be unchanged"}
            """);
        var patch = Json.Obj("""
            {"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}
            """);

        Json.Equal("""
            {"title":"Hello!","author":{"givenName":"John"},"tags":["example"],"content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}
            """, JsonMergePatch.Apply(target, patch));
    }

    [Fact]
    public void ArraysAreReplacedNotMerged()
    {
        var result = JsonMergePatch.Apply(
            Json.Obj("""{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}"""),
            Json.Obj("""{"spec":{"containers":[{"name":"c"}]}}"""));

        Json.Equal("""{"spec":{"containers":[{"name":"c"}]}}""", result);
    }

    [Fact]
    public void ObjectPatchOverScalarStartsFromEmptyObjectAndDropsNulls()
    {
        var result = JsonMergePatch.Apply(Json.Obj("""{"a":"x"}"""), Json.Obj("""{"a":{"b":1,"c":null}}"""));

        Json.Equal("""{"a":{"b":1}}""", result);
    }

    [Fact]
    public void InputsAreNotMutated()
    {
        var target = Json.Obj("""{"metadata":{"labels":{"a":"1","b":"2"}},"list":[1,2]}""");
        var patch = Json.Obj("""{"metadata":{"labels":{"a":null,"c":"3"}},"list":[3],"new":{"x":{"y":1}}}""");

        Json.Unchanged(() => JsonMergePatch.Apply(target, patch), target, patch);
    }

    [Fact]
    public void ResultSharesNoNodesWithInputs()
    {
        var patch = Json.Obj("""{"new":{"x":1}}""");
        var result = JsonMergePatch.Apply(Json.Obj("{}"), patch);

        result["new"]!["x"] = 2;

        Json.Equal("""{"new":{"x":1}}""", patch);
    }
}
