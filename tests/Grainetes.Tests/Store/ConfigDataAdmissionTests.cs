using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Store;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;

namespace Grainetes.Tests.Store;

/// <summary>The update rules of Secrets and ConfigMaps: a fixed Secret type, and frozen data once <c>immutable</c>.</summary>
public sealed class ConfigDataAdmissionTests
{
    private readonly ConfigDataAdmission admission = new();

    private static ObjectAdmissionContext Context(string resource) =>
        new(new ObjectKey(resource, "ns", "x"), ResourceRegistry.BuiltIn.Get(resource), DryRun: false);

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public async Task ASecretKeepsItsType()
    {
        var error = await Assert.ThrowsAsync<ApiException>(() => admission.BeforeUpdateAsync(
            Context("secrets"), Obj("""{"type":"Opaque","data":{}}"""), Obj("""{"type":"kubernetes.io/tls","data":{}}""")));

        Assert.Equal(422, error.Code);
        Assert.Contains("type: Invalid value: \"kubernetes.io/tls\": field is immutable", error.Message);
    }

    [Theory]
    [InlineData("secrets", """{"type":"Opaque","immutable":true,"data":{"a":"Yg=="}}""", "data")]
    [InlineData("secrets", """{"type":"Opaque","immutable":false,"data":{"a":"YQ=="}}""", "immutable")]
    [InlineData("configmaps", """{"immutable":true,"data":{"a":"a"},"binaryData":{"b":"Yg=="}}""", "binaryData")]
    public async Task AnImmutableObjectsDataAndFlagAreFrozen(string resource, string updated, string field)
    {
        var live = resource == "secrets" ? """{"type":"Opaque","immutable":true,"data":{"a":"YQ=="}}""" : """{"immutable":true,"data":{"a":"a"}}""";

        var error = await Assert.ThrowsAsync<ApiException>(() => admission.BeforeUpdateAsync(Context(resource), Obj(live), Obj(updated)));

        Assert.Equal(422, error.Code);
        Assert.Contains($"{field}: Forbidden: field is immutable when `immutable` is set", error.Message);
    }

    [Fact]
    public async Task MetadataOfAnImmutableObjectAndDataOfAMutableOneMayChange()
    {
        await admission.BeforeUpdateAsync(
            Context("secrets"),
            Obj("""{"metadata":{"labels":{"a":"1"}},"type":"Opaque","immutable":true,"data":{"a":"YQ=="}}"""),
            Obj("""{"metadata":{"labels":{"a":"2"}},"type":"Opaque","immutable":true,"data":{"a":"YQ=="}}"""));
        await admission.BeforeUpdateAsync(
            Context("configmaps"), Obj("""{"data":{"a":"a"}}"""), Obj("""{"immutable":true,"data":{"a":"b"}}"""));
    }
}
