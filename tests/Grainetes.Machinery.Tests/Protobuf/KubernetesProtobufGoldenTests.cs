using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Protobuf;

namespace Grainetes.Machinery.Tests.Protobuf;

/// <summary>
/// Bodies captured from real kubectl v1.32 (<c>kubectl create ...</c>, <c>kubectl autoscale</c> against a loopback listener), each next to
/// the JSON the same command prints with <c>--dry-run=client -o json</c>: Go's own rendering of the same object.
/// <c>kubectl create token</c> has no dry run, so <c>token.json</c> was written by hand from the Go struct tags.
/// </summary>
public sealed class KubernetesProtobufGoldenTests
{
    private static string GoldenDirectory([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "Golden");

    private static string[] CaptureNames() =>
        [.. Directory.GetFiles(GoldenDirectory(), "*.bin").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    public static TheoryData<string> Captures() => new(CaptureNames());

    [Theory]
    [MemberData(nameof(Captures))]
    public void Kubectl_body_decodes_to_what_kubectl_prints_as_json(string name)
    {
        var body = File.ReadAllBytes(Path.Combine(GoldenDirectory(), name + ".bin"));
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenDirectory(), name + ".json")));

        var actual = KubernetesProtobuf.Decode(body);

        Assert.True(JsonNode.DeepEquals(expected, actual), $"{name}\nexpected {expected!.ToJsonString()}\nactual   {actual.ToJsonString()}");
    }

    [Fact]
    public void All_generator_kinds_were_captured()
    {
        Assert.Equal(
            [
                "clusterrole", "clusterrolebinding", "configmap", "cronjob", "deployment", "deployment-multi", "hpa", "ingress", "job", "namespace",
                "pdb", "pdb-int", "priorityclass", "quota", "role", "rolebinding", "secret", "secret-docker", "service-clusterip",
                "service-externalname", "service-nodeport", "serviceaccount", "token",
            ],
            CaptureNames());
    }
}
