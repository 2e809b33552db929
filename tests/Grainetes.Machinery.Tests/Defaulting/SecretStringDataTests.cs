using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Defaulting;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Validation;

namespace Grainetes.Machinery.Tests.Defaulting;

/// <summary>A Secret's <c>stringData</c> folded into <c>data</c> as Kubernetes' API server does, and what it refuses.</summary>
public sealed class SecretStringDataTests
{
    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void StringDataIsEncodedIntoDataAndNeverKept()
    {
        var secret = Obj("""{"metadata":{"name":"s"},"stringData":{"user":"admin","note":"ünïcode ✓"}}""");

        SecretStringData.Fold(secret);

        Assert.Null(secret["stringData"]);
        Assert.Equal(B64("admin"), (string?)secret["data"]!["user"]);
        Assert.Equal(B64("ünïcode ✓"), (string?)secret["data"]!["note"]);
    }

    [Fact]
    public void StringDataWinsOverDataOnTheSameKeyAndOtherDataStays()
    {
        var secret = Obj($$$"""{"data":{"both":"{{{B64("from-data")}}}","only":"{{{B64("kept")}}}"},"stringData":{"both":"from-string"}}""");

        SecretStringData.Fold(secret);

        Assert.Equal(B64("from-string"), (string?)secret["data"]!["both"]);
        Assert.Equal(B64("kept"), (string?)secret["data"]!["only"]);
        Assert.Null(secret["stringData"]);
    }

    [Fact]
    public void FoldingTwiceChangesNothingAndDataIsReencodedCanonically()
    {
        var secret = Obj("""{"data":{"wrapped":"aGVs\nbG8="},"stringData":{"k":"v"}}""");
        SecretStringData.Fold(secret);
        var once = secret.ToJsonString();

        SecretStringData.Fold(secret);

        Assert.Equal("aGVsbG8=", (string?)secret["data"]!["wrapped"]);
        Assert.Equal(once, secret.ToJsonString());
    }

    [Fact]
    public void ASecretWithoutEitherGetsNoData()
    {
        var secret = Obj("""{"metadata":{"name":"s"}}""");

        SecretStringData.Fold(secret);

        Assert.False(secret.ContainsKey("data"));
    }

    [Theory]
    [InlineData("""{"data":{"k":"not base64!"}}""", "illegal base64 data in data[k]")]
    [InlineData("""{"data":{"k":"abc"}}""", "illegal base64 data in data[k]")]
    [InlineData("""{"data":{"k":42}}""", "data[k] must be a base64 string")]
    [InlineData("""{"data":["a"]}""", "data must be an object")]
    [InlineData("""{"stringData":{"k":true}}""", "stringData[k] must be a string")]
    [InlineData("""{"stringData":"k=v"}""", "stringData must be an object")]
    public void UndecodableValuesAreABadRequest(string json, string detail)
    {
        var error = Assert.Throws<ApiException>(() => SecretStringData.Fold(Obj(json)));

        Assert.Equal(400, error.Code);
        Assert.Contains(detail, error.Message);
    }

    [Fact]
    public void DefaultsFoldAndTypeTheSecret()
    {
        var secret = Obj("""{"metadata":{"name":"s"},"stringData":{"a":"b"}}""");

        ObjectDefaults.Apply(ResourceRegistry.BuiltIn.Get("secrets"), secret);

        Assert.Equal("Opaque", (string?)secret["type"]);
        Assert.Equal(B64("b"), (string?)secret["data"]!["a"]);
        Assert.Null(secret["stringData"]);
    }

    [Theory]
    [InlineData("kubernetes.io/tls", """{"tls.crt":"YQ=="}""", "data[tls.key]")]
    [InlineData("kubernetes.io/dockerconfigjson", """{}""", "data[.dockerconfigjson]")]
    [InlineData("kubernetes.io/dockercfg", """{}""", "data[.dockercfg]")]
    [InlineData("kubernetes.io/basic-auth", """{}""", "data[username]")]
    [InlineData("kubernetes.io/ssh-auth", """{"ssh-privatekey":""}""", "data[ssh-privatekey]")]
    public void WellKnownTypesNeedTheirKeys(string type, string data, string field)
    {
        var secret = Obj($$$"""{"metadata":{"name":"s"},"type":"{{{type}}}","data":{{{data}}}}""");

        var causes = new ObjectValidator().Collect(ResourceRegistry.BuiltIn.Get("secrets"), secret);

        Assert.Contains(causes, c => c.Reason == "FieldValueRequired" && c.Field == field);
    }

    [Fact]
    public void ATlsSecretWithBothKeysIsValid()
    {
        var secret = Obj("""{"metadata":{"name":"s"},"type":"kubernetes.io/tls","data":{"tls.crt":"YQ==","tls.key":"Yg=="}}""");

        Assert.Empty(new ObjectValidator().Collect(ResourceRegistry.BuiltIn.Get("secrets"), secret));
    }
}
