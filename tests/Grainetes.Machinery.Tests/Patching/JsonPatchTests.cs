using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Patching;

namespace Grainetes.Machinery.Tests.Patching;

public sealed class JsonPatchTests
{
    // RFC 6902 Appendix A examples that succeed (A.1-A.8, A.10, A.11, A.14, A.16).
    [Theory]
    [InlineData("A.1 add object member", """{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"baz":"qux","foo":"bar"}""")]
    [InlineData("A.2 add array element", """{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    [InlineData("A.3 remove object member", """{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    [InlineData("A.4 remove array element", """{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    [InlineData("A.5 replace value", """{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    [InlineData("A.6 move value", """{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    [InlineData("A.7 move array element", """{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    [InlineData("A.8 test success", """{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""")]
    [InlineData("A.10 add nested member object", """{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")]
    [InlineData("A.11 ignore unrecognized elements", """{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux","xyz":123}]""", """{"foo":"bar","baz":"qux"}""")]
    [InlineData("A.14 ~ escape ordering", """{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10}]""", """{"/":9,"~1":10}""")]
    [InlineData("A.16 add array value", """{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")]
    public void Rfc6902AppendixA(string example, string target, string patch, string expected)
    {
        Assert.NotEmpty(example);
        Json.Equal(expected, JsonPatch.Apply(Json.Obj(target), Json.Arr(patch)));
    }

    // RFC 6902 Appendix A examples that must fail (A.9, A.12, A.15) answer 422 Invalid.
    [Theory]
    [InlineData("A.9 test error", """{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""")]
    [InlineData("A.12 add to nonexistent target", """{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""")]
    [InlineData("A.15 comparing strings and numbers", """{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":"10"}]""")]
    public void Rfc6902AppendixAFailures(string example, string target, string patch)
    {
        var error = Assert.Throws<ApiException>(() => JsonPatch.Apply(Json.Obj(target), Json.Arr(patch)));

        Assert.Equal(422, error.Code);
        Assert.Equal("Invalid", error.Reason);
        Assert.StartsWith("the server rejected our request due to an error in our request: ", error.Message);
        Assert.NotEmpty(example);
    }

    [Theory]
    [InlineData("""[{"op":"remove","path":"/missing"}]""")]
    [InlineData("""[{"op":"replace","path":"/missing","value":1}]""")]
    [InlineData("""[{"op":"move","from":"/missing","path":"/x"}]""")]
    [InlineData("""[{"op":"copy","from":"/missing","path":"/x"}]""")]
    [InlineData("""[{"op":"test","path":"/missing","value":null}]""")]
    [InlineData("""[{"op":"add","path":"/list/3","value":1}]""")]
    [InlineData("""[{"op":"add","path":"/list/01","value":1}]""")]
    [InlineData("""[{"op":"remove","path":"/list/2"}]""")]
    [InlineData("""[{"op":"remove","path":"/list/-"}]""")]
    [InlineData("""[{"op":"move","from":"/obj","path":"/obj/child"}]""")]
    [InlineData("""[{"op":"remove","path":""}]""")]
    [InlineData("""[{"op":"replace","path":"","value":[1]}]""")]
    public void OperationsThatCannotApplyAre422(string patch)
    {
        var target = Json.Obj("""{"list":[1,2],"obj":{"a":1}}""");

        var error = Assert.Throws<ApiException>(() => JsonPatch.Apply(target, Json.Arr(patch)));

        Assert.Equal(422, error.Code);
    }

    [Theory]
    [InlineData("""[{"path":"/a","value":1}]""")]
    [InlineData("""[{"op":"frobnicate","path":"/a"}]""")]
    [InlineData("""[{"op":"add","value":1}]""")]
    [InlineData("""[{"op":"add","path":"/a"}]""")]
    [InlineData("""[{"op":"move","path":"/a"}]""")]
    [InlineData("""[{"op":"add","path":"a","value":1}]""")]
    [InlineData("""[{"op":"add","path":"/a~2","value":1}]""")]
    [InlineData("""[{"op":1,"path":"/a","value":1}]""")]
    [InlineData("""["add"]""")]
    public void MalformedPatchDocumentIsBadRequest(string patch)
    {
        var error = Assert.Throws<ApiException>(() => JsonPatch.Apply(Json.Obj("""{"a":0}"""), Json.Arr(patch)));

        Assert.Equal(400, error.Code);
        Assert.Equal("BadRequest", error.Reason);
    }

    [Fact]
    public void MalformedLaterOperationRejectsBeforeAnyOperationRuns()
    {
        var target = Json.Obj("""{"a":0}""");

        Assert.Throws<ApiException>(() => JsonPatch.Apply(target, Json.Arr("""[{"op":"remove","path":"/a"},{"op":"bogus","path":"/a"}]""")));

        Json.Equal("""{"a":0}""", target);
    }

    [Fact]
    public void PointerEscapesSlashAndTilde()
    {
        var target = Json.Obj("""{"metadata":{"annotations":{"example.com/a~b":"1"}}}""");

        var result = JsonPatch.Apply(target, Json.Arr("""
            [{"op":"replace","path":"/metadata/annotations/example.com~1a~0b","value":"2"},
             {"op":"add","path":"/metadata/annotations/x~1y","value":"3"}]
            """));

        Json.Equal("""{"metadata":{"annotations":{"example.com/a~b":"2","x/y":"3"}}}""", result);
    }

    [Fact]
    public void DashAppendsToArray()
    {
        var result = JsonPatch.Apply(Json.Obj("""{"spec":{"finalizers":["a"]}}"""), Json.Arr("""[{"op":"add","path":"/spec/finalizers/-","value":"b"}]"""));

        Json.Equal("""{"spec":{"finalizers":["a","b"]}}""", result);
    }

    [Fact]
    public void AddToExistingMemberReplacesIt()
    {
        var result = JsonPatch.Apply(Json.Obj("""{"a":1}"""), Json.Arr("""[{"op":"add","path":"/a","value":2}]"""));

        Json.Equal("""{"a":2}""", result);
    }

    [Fact]
    public void CopyDuplicatesIndependently()
    {
        var result = JsonPatch.Apply(
            Json.Obj("""{"a":{"x":1}}"""),
            Json.Arr("""[{"op":"copy","from":"/a","path":"/b"},{"op":"replace","path":"/b/x","value":2}]"""));

        Json.Equal("""{"a":{"x":1},"b":{"x":2}}""", result);
    }

    [Fact]
    public void TestComparesNumbersByValueAndObjectsIgnoringOrder()
    {
        var target = Json.Obj("""{"n":1.0,"o":{"a":1,"b":[1,2]}}""");

        var result = JsonPatch.Apply(target, Json.Arr("""
            [{"op":"test","path":"/n","value":1},{"op":"test","path":"/o","value":{"b":[1,2],"a":1}}]
            """));

        Json.Equal(target.ToJsonString(), result);
    }

    [Fact]
    public void FailedTestAbortsTheWholePatch()
    {
        var target = Json.Obj("""{"a":1}""");

        Assert.Throws<ApiException>(() => JsonPatch.Apply(target, Json.Arr("""[{"op":"replace","path":"/a","value":2},{"op":"test","path":"/a","value":3}]""")));

        Json.Equal("""{"a":1}""", target);
    }

    [Fact]
    public void ReplacingTheRootWithAnObjectIsAllowed()
    {
        var result = JsonPatch.Apply(Json.Obj("""{"a":1}"""), Json.Arr("""[{"op":"replace","path":"","value":{"b":2}}]"""));

        Json.Equal("""{"b":2}""", result);
    }

    [Fact]
    public void AddAndReplaceNullValues()
    {
        var result = JsonPatch.Apply(Json.Obj("""{"a":1}"""), Json.Arr("""[{"op":"add","path":"/b","value":null},{"op":"replace","path":"/a","value":null}]"""));

        Json.Equal("""{"a":null,"b":null}""", result);
    }

    [Fact]
    public void InputsAreNotMutated()
    {
        var target = Json.Obj("""{"a":{"b":[1,2,3]},"c":"d"}""");
        var patch = Json.Arr("""
            [{"op":"add","path":"/a/b/-","value":{"deep":[1]}},{"op":"remove","path":"/c"},
             {"op":"move","from":"/a/b/0","path":"/moved"},{"op":"copy","from":"/a","path":"/copy"}]
            """);

        Json.Unchanged(() => JsonPatch.Apply(target, patch), target, patch);
    }

    [Fact]
    public void AddedValueIsNotSharedWithThePatch()
    {
        var patch = Json.Arr("""[{"op":"add","path":"/x","value":{"y":1}}]""");
        var result = JsonPatch.Apply(Json.Obj("{}"), patch);

        result["x"]!["y"] = 2;

        Json.Equal("""[{"op":"add","path":"/x","value":{"y":1}}]""", patch);
    }
}
