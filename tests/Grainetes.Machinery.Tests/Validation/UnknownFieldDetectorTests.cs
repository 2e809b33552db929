using System.Text.Json.Nodes;
using Grainetes.Machinery.Validation;
using k8s;
using k8s.Models;

namespace Grainetes.Machinery.Tests.Validation;

public sealed class UnknownFieldDetectorTests
{
    private readonly UnknownFieldDetector detector = new();

    [Fact]
    public void Known_fields_only_reports_nothing()
    {
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "p", Labels = new Dictionary<string, string> { ["any/key"] = "v" }, CreationTimestamp = DateTime.UtcNow },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container
                    {
                        Name = "a",
                        Image = "i",
                        Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new ResourceQuantity("500m") } },
                        Ports = [new V1ContainerPort { ContainerPort = 80 }],
                        LivenessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Port = "http", Path = "/" } },
                    },
                ],
            },
        };

        Assert.Empty(detector.Find(typeof(V1Pod), JsonNode.Parse(KubernetesJson.Serialize(pod))!));
    }

    [Fact]
    public void Misspelled_field_in_list_item_is_reported_with_path()
    {
        var json = JsonNode.Parse("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"i"},{"name":"b","image":"i","imagePullPolicyy":"Always"}]}}""")!;

        Assert.Equal([".spec.containers[1].imagePullPolicyy"], detector.Find(typeof(V1Pod), json));
    }

    [Fact]
    public void Reports_every_unknown_field_at_every_depth_in_document_order()
    {
        var json = JsonNode.Parse("""
            {"kind":"Deployment","bogus":1,"metadata":{"name":"d","labelz":{}},
             "spec":{"selector":{"matchLabels":{"app":"x"},"matchExpressions":[{"key":"k","operator":"In","valuez":[]}]},
                     "template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","ports":[{"containerPort":80,"hostIP2":"x"}]}]}}}}
            """)!;

        Assert.Equal(
            [
                ".bogus",
                ".metadata.labelz",
                ".spec.selector.matchExpressions[0].valuez",
                ".spec.template.spec.containers[0].ports[0].hostIP2",
            ],
            detector.Find(typeof(V1Deployment), json));
    }

    [Fact]
    public void String_maps_accept_any_key()
    {
        var json = JsonNode.Parse("""{"metadata":{"name":"c","annotations":{"whatever/key":"v"}},"data":{"any.key":"v"},"binaryData":{"x":"AAAA"}}""")!;

        Assert.Empty(detector.Find(typeof(V1ConfigMap), json));
    }

    [Fact]
    public void Maps_of_quantities_are_leaves()
    {
        var json = JsonNode.Parse("""{"status":{"capacity":{"cpu":"4","memory":"8Gi"},"allocatable":{"pods":110}}}""")!;

        Assert.Empty(detector.Find(typeof(V1Node), json));
    }

    [Fact]
    public void Int_or_string_values_are_leaves()
    {
        var json = JsonNode.Parse("""{"spec":{"ports":[{"port":80,"targetPort":"http"},{"port":81,"targetPort":8081}]}}""")!;

        Assert.Empty(detector.Find(typeof(V1Service), json));
    }

    [Fact]
    public void Map_values_that_are_models_are_checked()
    {
        // A CRD's schema maps property names to nested schema objects.
        var json = JsonNode.Parse("""{"spec":{"versions":[{"name":"v1","schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"string","colour":"red"}}}}}]}}""")!;

        Assert.Equal(
            [".spec.versions[0].schema.openAPIV3Schema.properties.spec.colour"],
            detector.Find(typeof(V1CustomResourceDefinition), json));
    }

    [Fact]
    public void Opaque_fields_are_not_descended()
    {
        var json = JsonNode.Parse("""{"metadata":{"name":"x","managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{"f:anything":{}}}}]}}""")!;

        Assert.Empty(detector.Find(typeof(V1ConfigMap), json));
    }

    [Fact]
    public void Wrong_json_types_are_not_unknown_fields()
    {
        var json = JsonNode.Parse("""{"spec":{"containers":{"name":"not-a-list"}}}""")!;

        Assert.Empty(detector.Find(typeof(V1Pod), json));
    }

    [Fact]
    public void Field_names_are_case_sensitive()
    {
        var json = JsonNode.Parse("""{"Metadata":{"name":"x"}}""")!;

        Assert.Equal([".Metadata"], detector.Find(typeof(V1ConfigMap), json));
    }

    [Fact]
    public void Repeated_calls_give_the_same_answer_from_cache()
    {
        var json = JsonNode.Parse("""{"spec":{"nodeNamee":"n"}}""")!;

        Assert.Equal(detector.Find(typeof(V1Pod), json), detector.Find(typeof(V1Pod), json));
        Assert.Equal([".spec.nodeNamee"], detector.Find(typeof(V1Pod), json));
    }

    [Fact]
    public void Formats_strict_decoding_error_like_the_api_server()
    {
        Assert.Equal(
            "strict decoding error: unknown field \"spec.containers[0].imagePullPolicyy\"",
            UnknownFieldDetector.FormatStrictDecodingError([".spec.containers[0].imagePullPolicyy"]));
        Assert.Equal(
            "strict decoding error: unknown field \"a\", unknown field \"b.c\"",
            UnknownFieldDetector.FormatStrictDecodingError([".a", ".b.c"]));
    }
}
