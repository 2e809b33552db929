using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Validation;
using k8s;
using k8s.Models;

namespace Grainetes.Machinery.Tests.Validation;

public sealed class ObjectValidatorTests
{
    private readonly ObjectValidator validator = new();

    private static ResourceType Type(string storageKey) => ResourceRegistry.BuiltIn.Get(storageKey);

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static JsonObject Pod(string spec, string metadata = """{"name":"p","namespace":"default"}""") =>
        Obj($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{{{metadata}}},"spec":{{{spec}}} }""");

    private const string ValidContainers = """{"containers":[{"name":"app","image":"nginx"}]}""";

    private IReadOnlyList<StatusCause> Causes(string storageKey, JsonObject obj) => validator.Collect(Type(storageKey), obj);

    private static void AssertCause(IReadOnlyList<StatusCause> causes, string reason, string field, string? messageStart = null)
    {
        Assert.Contains(causes, c => c.Reason == reason && c.Field == field && (messageStart is null || c.Message.StartsWith(messageStart, StringComparison.Ordinal)));
    }

    [Fact]
    public void Valid_pod_built_from_model_passes()
    {
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "web" } },
            Spec = new V1PodSpec
            {
                RestartPolicy = "OnFailure",
                Containers = [new V1Container { Name = "app", Image = "nginx:1.27", Ports = [new V1ContainerPort { ContainerPort = 80, Protocol = "TCP", Name = "http" }] }],
            },
        };

        var obj = JsonNode.Parse(KubernetesJson.Serialize(pod))!.AsObject();

        validator.Validate(Type("pods"), obj);
        Assert.Empty(validator.Collect(Type("pods"), obj));
    }

    [Fact]
    public void Invalid_object_throws_422_listing_all_causes()
    {
        var pod = Pod("""{"containers":[{"name":"App"}]}""", """{"name":"Bad_Name"}""");

        var e = Assert.Throws<ApiException>(() => validator.Validate(Type("pods"), pod));

        Assert.Equal(422, e.Code);
        Assert.Equal("Invalid", e.Reason);
        Assert.Equal("Pod", e.DetailsKind);
        Assert.Equal("Bad_Name", e.DetailsName);
        Assert.Equal(3, e.Causes.Count);
        AssertCause(e.Causes, "FieldValueInvalid", "metadata.name", "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain");
        AssertCause(e.Causes, "FieldValueInvalid", "spec.containers[0].name", "Invalid value: \"App\": a lowercase RFC 1123 label");
        AssertCause(e.Causes, "FieldValueRequired", "spec.containers[0].image", "Required value");
        Assert.StartsWith("Pod \"Bad_Name\" is invalid: metadata.name: Invalid value:", e.Message);
    }

    [Fact]
    public void Deployment_error_carries_group()
    {
        var e = Assert.Throws<ApiException>(() => validator.Validate(Type("deployments.apps"), Obj("""{"metadata":{"name":"d"},"spec":{}}""")));

        Assert.Equal("apps", e.DetailsGroup);
        Assert.Equal("Deployment", e.DetailsKind);
    }

    [Fact]
    public void Missing_name_is_required()
    {
        var causes = Causes("configmaps", Obj("""{"metadata":{}}"""));

        Assert.Equal([new StatusCause("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")], causes);
    }

    [Fact]
    public void Missing_metadata_is_missing_name()
    {
        AssertCause(Causes("configmaps", Obj("{}")), "FieldValueRequired", "metadata.name");
    }

    [Fact]
    public void Invalid_generate_name_is_reported_but_trailing_dash_allowed()
    {
        Assert.Empty(Causes("configmaps", Obj("""{"metadata":{"name":"web-x1","generateName":"web-"}}""")));
        AssertCause(Causes("configmaps", Obj("""{"metadata":{"name":"x","generateName":"Web-"}}""")), "FieldValueInvalid", "metadata.generateName");
    }

    [Theory]
    [InlineData("namespaces", "my.ns", false)]
    [InlineData("namespaces", "my-ns", true)]
    [InlineData("services", "my.svc", false)]
    [InlineData("services", "1svc", false)]
    [InlineData("services", "svc-1", true)]
    [InlineData("configmaps", "my.config", true)]
    [InlineData("events", "web-1.17a2b3", true)]
    [InlineData("nodes", "node-1.example.com", true)]
    [InlineData("nodes", "Node1", false)]
    [InlineData("leases.coordination.k8s.io", "kube-scheduler", true)]
    public void Name_format_depends_on_kind(string storageKey, string name, bool valid)
    {
        var obj = Obj($$$"""{"metadata":{"name":"{{{name}}}"}}""");
        var nameCauses = Causes(storageKey, obj).Where(c => c.Field == "metadata.name").ToList();

        Assert.Equal(valid, nameCauses.Count == 0);
    }

    [Fact]
    public void Namespace_must_be_dns_label()
    {
        AssertCause(Causes("configmaps", Obj("""{"metadata":{"name":"c","namespace":"My_NS"}}""")), "FieldValueInvalid", "metadata.namespace", "Invalid value: \"My_NS\"");
    }

    [Fact]
    public void Label_keys_and_values_are_checked()
    {
        var causes = Causes("configmaps", Obj("""{"metadata":{"name":"c","labels":{"-bad":"ok","good":"bad value"}}}"""));

        Assert.Equal(2, causes.Count);
        AssertCause(causes, "FieldValueInvalid", "metadata.labels", "Invalid value: \"-bad\": name part must consist of");
        AssertCause(causes, "FieldValueInvalid", "metadata.labels", "Invalid value: \"bad value\": a valid label must be");
    }

    [Fact]
    public void Annotation_keys_are_qualified_names_but_upper_case_is_allowed()
    {
        Assert.Empty(Causes("configmaps", Obj("""{"metadata":{"name":"c","annotations":{"Example.com/Note":"x"}}}""")));
        AssertCause(Causes("configmaps", Obj("""{"metadata":{"name":"c","annotations":{"a b":"x"}}}""")), "FieldValueInvalid", "metadata.annotations");
    }

    [Fact]
    public void Annotations_over_256KiB_are_too_long()
    {
        var obj = Obj("""{"metadata":{"name":"c","annotations":{}}}""");
        obj["metadata"]!["annotations"]!["big"] = new string('x', 256 * 1024);

        Assert.Equal(
            [new StatusCause("FieldValueTooLong", "metadata.annotations", "Too long: may not be more than 262144 bytes")],
            Causes("configmaps", obj));
    }

    [Fact]
    public void Pod_needs_containers()
    {
        Assert.Equal([new StatusCause("FieldValueRequired", "spec.containers", "Required value")], Causes("pods", Pod("""{"containers":[]}""")));
        AssertCause(Causes("pods", Pod("{}")), "FieldValueRequired", "spec.containers");
        AssertCause(Causes("pods", Obj("""{"metadata":{"name":"p"}}""")), "FieldValueRequired", "spec");
    }

    [Fact]
    public void Pod_container_names_must_be_unique_across_init_and_app_containers()
    {
        var causes = Causes("pods", Pod("""{"initContainers":[{"name":"a","image":"i"}],"containers":[{"name":"a","image":"i"},{"name":"b","image":"i"},{"name":"b","image":"i"}]}"""));

        Assert.Equal(
            [
                new StatusCause("FieldValueDuplicate", "spec.initContainers[0].name", "Duplicate value: \"a\""),
                new StatusCause("FieldValueDuplicate", "spec.containers[2].name", "Duplicate value: \"b\""),
            ],
            causes.OrderBy(c => c.Field.Contains("init", StringComparison.Ordinal) ? 0 : 1).ToList());
    }

    [Fact]
    public void Pod_container_needs_name_and_image()
    {
        var causes = Causes("pods", Pod("""{"containers":[{"image":" "}]}"""));

        AssertCause(causes, "FieldValueRequired", "spec.containers[0].name");
        AssertCause(causes, "FieldValueRequired", "spec.containers[0].image");
    }

    [Theory]
    [InlineData("""{"containerPort":80}""", null, null)]
    [InlineData("""{"containerPort":0}""", "FieldValueRequired", "spec.containers[0].ports[0].containerPort")]
    [InlineData("""{"protocol":"TCP"}""", "FieldValueRequired", "spec.containers[0].ports[0].containerPort")]
    [InlineData("""{"containerPort":65536}""", "FieldValueInvalid", "spec.containers[0].ports[0].containerPort")]
    [InlineData("""{"containerPort":-1}""", "FieldValueInvalid", "spec.containers[0].ports[0].containerPort")]
    [InlineData("""{"containerPort":80,"hostPort":70000}""", "FieldValueInvalid", "spec.containers[0].ports[0].hostPort")]
    [InlineData("""{"containerPort":80,"protocol":"HTTP"}""", "FieldValueNotSupported", "spec.containers[0].ports[0].protocol")]
    [InlineData("""{"containerPort":80,"protocol":"UDP"}""", null, null)]
    [InlineData("""{"containerPort":80,"protocol":"SCTP"}""", null, null)]
    [InlineData("""{"containerPort":80,"name":"web--x"}""", "FieldValueInvalid", "spec.containers[0].ports[0].name")]
    public void Pod_container_ports(string port, string? reason, string? field)
    {
        var causes = Causes("pods", Pod($$$"""{"containers":[{"name":"a","image":"i","ports":[{{{port}}}]}]}"""));

        if (reason is null) Assert.Empty(causes);
        else Assert.Equal([(reason, field)], causes.Select(c => (c.Reason, (string?)c.Field)));
    }

    [Fact]
    public void Pod_port_messages_match_kubernetes()
    {
        var causes = Causes("pods", Pod("""{"containers":[{"name":"a","image":"i","ports":[{"containerPort":70000,"protocol":"HTTP"}]}]}"""));

        Assert.Equal(
            [
                new StatusCause("FieldValueInvalid", "spec.containers[0].ports[0].containerPort", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
                new StatusCause("FieldValueNotSupported", "spec.containers[0].ports[0].protocol", "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
            ],
            causes);
    }

    [Theory]
    [InlineData("Always", true)]
    [InlineData("OnFailure", true)]
    [InlineData("Never", true)]
    [InlineData("Sometimes", false)]
    public void Pod_restart_policy(string policy, bool valid)
    {
        var causes = Causes("pods", Pod($$$"""{"restartPolicy":"{{{policy}}}","containers":[{"name":"a","image":"i"}]}"""));

        if (valid) Assert.Empty(causes);
        else Assert.Equal([new StatusCause("FieldValueNotSupported", "spec.restartPolicy", $"Unsupported value: \"{policy}\": supported values: \"Always\", \"Never\", \"OnFailure\"")], causes);
    }

    private static JsonObject Workload(string kind, string spec) =>
        Obj($$$"""{"apiVersion":"apps/v1","kind":"{{{kind}}}","metadata":{"name":"w","namespace":"default"},"spec":{{{spec}}} }""");

    private const string GoodTemplate = """{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"a","image":"i"}]}}""";

    [Theory]
    [InlineData("deployments.apps", "Deployment")]
    [InlineData("replicasets.apps", "ReplicaSet")]
    public void Workload_valid_passes(string storageKey, string kind)
    {
        Assert.Empty(Causes(storageKey, Workload(kind, $$$"""{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{{{GoodTemplate}}} }""")));
    }

    [Theory]
    [InlineData("deployments.apps", "Deployment")]
    [InlineData("replicasets.apps", "ReplicaSet")]
    public void Workload_selector_required(string storageKey, string kind)
    {
        Assert.Equal(
            [new StatusCause("FieldValueRequired", "spec.selector", "Required value")],
            Causes(storageKey, Workload(kind, $$$"""{"template":{{{GoodTemplate}}} }""")));
    }

    [Theory]
    [InlineData("deployments.apps", "Deployment")]
    [InlineData("replicasets.apps", "ReplicaSet")]
    public void Workload_selector_must_match_template_labels(string storageKey, string kind)
    {
        var causes = Causes(storageKey, Workload(kind, $$$"""{"selector":{"matchLabels":{"app":"db"}},"template":{{{GoodTemplate}}} }"""));

        Assert.Equal(
            [new StatusCause("FieldValueInvalid", "spec.template.metadata.labels", "Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`")],
            causes);
    }

    [Fact]
    public void Workload_match_expressions_are_honoured()
    {
        Assert.Empty(Causes("deployments.apps", Workload("Deployment", $$$"""{"selector":{"matchExpressions":[{"key":"app","operator":"In","values":["web","api"]}]},"template":{{{GoodTemplate}}} }""")));
    }

    [Fact]
    public void Workload_empty_selector_is_invalid()
    {
        AssertCause(
            Causes("deployments.apps", Workload("Deployment", $$$"""{"selector":{},"template":{{{GoodTemplate}}} }""")),
            "FieldValueInvalid", "spec.selector", "Invalid value: {}: empty selector is invalid for deployment");
    }

    [Fact]
    public void Workload_malformed_selector_is_invalid()
    {
        AssertCause(
            Causes("deployments.apps", Workload("Deployment", $$$"""{"selector":{"matchExpressions":[{"key":"app","operator":"Like"}]},"template":{{{GoodTemplate}}} }""")),
            "FieldValueInvalid", "spec.selector");
    }

    [Fact]
    public void Workload_negative_replicas_invalid()
    {
        Assert.Equal(
            [new StatusCause("FieldValueInvalid", "spec.replicas", "Invalid value: -1: must be greater than or equal to 0")],
            Causes("deployments.apps", Workload("Deployment", $$$"""{"replicas":-1,"selector":{"matchLabels":{"app":"web"}},"template":{{{GoodTemplate}}} }""")));
    }

    [Fact]
    public void Workload_template_pod_spec_is_checked_with_prefixed_paths()
    {
        var causes = Causes("replicasets.apps", Workload("ReplicaSet", """{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"restartPolicy":"Never","containers":[{"name":"a","ports":[{"containerPort":0}]}]}}}"""));

        AssertCause(causes, "FieldValueRequired", "spec.template.spec.containers[0].image");
        AssertCause(causes, "FieldValueRequired", "spec.template.spec.containers[0].ports[0].containerPort");
        AssertCause(causes, "FieldValueNotSupported", "spec.template.spec.restartPolicy", "Unsupported value: \"Never\": supported values: \"Always\"");
        Assert.Equal(3, causes.Count);
    }

    [Fact]
    public void Workload_template_required()
    {
        AssertCause(Causes("deployments.apps", Workload("Deployment", """{"selector":{"matchLabels":{"app":"web"}}}""")), "FieldValueRequired", "spec.template");
    }

    private static JsonObject Service(string spec) =>
        Obj($$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc","namespace":"default"},"spec":{{{spec}}} }""");

    [Theory]
    [InlineData("""{"ports":[{"port":80}]}""")]
    [InlineData("""{"ports":[{"name":"http","port":80,"targetPort":"http"},{"name":"https","port":443,"targetPort":8443}]}""")]
    [InlineData("""{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}""")]
    [InlineData("""{"type":"LoadBalancer","ports":[{"port":80,"protocol":"UDP"}]}""")]
    [InlineData("""{"type":"ExternalName","externalName":"db.example.com"}""")]
    [InlineData("""{"clusterIP":"None"}""")]
    [InlineData("""{"type":"LoadBalancer","loadBalancerIP":"127.240.0.9","loadBalancerClass":"example.com/lb","ports":[{"port":80}]}""")]
    public void Service_valid(string spec)
    {
        Assert.Empty(Causes("services", Service(spec)));
    }

    [Theory]
    [InlineData("""{"ports":[]}""", "FieldValueRequired", "spec.ports")]
    [InlineData("""{"ports":[{"name":"a","port":80},{"port":81}]}""", "FieldValueRequired", "spec.ports[1].name")]
    [InlineData("""{"ports":[{"name":"a","port":80},{"name":"a","port":81}]}""", "FieldValueDuplicate", "spec.ports[1].name")]
    [InlineData("""{"ports":[{"name":"A","port":80}]}""", "FieldValueInvalid", "spec.ports[0].name")]
    [InlineData("""{"ports":[{"port":0}]}""", "FieldValueRequired", "spec.ports[0].port")]
    [InlineData("""{"ports":[{"port":65536}]}""", "FieldValueInvalid", "spec.ports[0].port")]
    [InlineData("""{"ports":[{"port":80,"protocol":"ICMP"}]}""", "FieldValueNotSupported", "spec.ports[0].protocol")]
    [InlineData("""{"type":"Balanced","ports":[{"port":80}]}""", "FieldValueNotSupported", "spec.type")]
    [InlineData("""{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}""", "FieldValueInvalid", "spec.ports[0].nodePort")]
    [InlineData("""{"type":"NodePort","ports":[{"port":80,"nodePort":32768}]}""", "FieldValueInvalid", "spec.ports[0].nodePort")]
    [InlineData("""{"ports":[{"port":80,"nodePort":30080}]}""", "FieldValueForbidden", "spec.ports[0].nodePort")]
    [InlineData("""{"ports":[{"port":80,"targetPort":70000}]}""", "FieldValueInvalid", "spec.ports[0].targetPort")]
    [InlineData("""{"ports":[{"port":80,"targetPort":"Bad_Name"}]}""", "FieldValueInvalid", "spec.ports[0].targetPort")]
    [InlineData("""{"type":"ExternalName"}""", "FieldValueRequired", "spec.externalName")]
    [InlineData("""{"type":"LoadBalancer","loadBalancerIP":"not-an-ip","ports":[{"port":80}]}""", "FieldValueInvalid", "spec.loadBalancerIP")]
    [InlineData("""{"type":"LoadBalancer","loadBalancerIP":"10.1","ports":[{"port":80}]}""", "FieldValueInvalid", "spec.loadBalancerIP")]
    [InlineData("""{"loadBalancerClass":"example.com/lb","ports":[{"port":80}]}""", "FieldValueForbidden", "spec.loadBalancerClass")]
    public void Service_invalid(string spec, string reason, string field)
    {
        var causes = Causes("services", Service(spec));

        AssertCause(causes, reason, field);
    }

    [Fact]
    public void Service_type_message_lists_supported_values()
    {
        AssertCause(Causes("services", Service("""{"type":"Balanced","ports":[{"port":80}]}""")), "FieldValueNotSupported", "spec.type",
            "Unsupported value: \"Balanced\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"");
    }

    [Fact]
    public void Service_node_port_range_message()
    {
        AssertCause(Causes("services", Service("""{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}""")), "FieldValueInvalid", "spec.ports[0].nodePort",
            "Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767");
    }

    [Fact]
    public void ConfigMap_keys_valid()
    {
        Assert.Empty(Causes("configmaps", Obj("""{"metadata":{"name":"c"},"data":{"app.properties":"x","KEY_1":"y"},"binaryData":{"logo.png":"AAAA"}}""")));
    }

    [Theory]
    [InlineData("""{"data":{"a/b":"x"}}""", "data[a/b]")]
    [InlineData("""{"data":{"..x":"x"}}""", "data[..x]")]
    [InlineData("""{"binaryData":{"a b":"AAAA"}}""", "binaryData[a b]")]
    public void ConfigMap_invalid_keys(string bags, string field)
    {
        var obj = Obj(bags);
        obj["metadata"] = new JsonObject { ["name"] = "c" };

        AssertCause(Causes("configmaps", obj), "FieldValueInvalid", field);
    }

    [Fact]
    public void ConfigMap_key_in_both_bags_invalid()
    {
        Assert.Equal(
            [new StatusCause("FieldValueInvalid", "data[k]", "Invalid value: \"k\": duplicate of key present in binaryData")],
            Causes("configmaps", Obj("""{"metadata":{"name":"c"},"data":{"k":"x"},"binaryData":{"k":"AAAA"}}""")));
    }

    [Fact]
    public void ConfigMap_key_longer_than_253_invalid()
    {
        var obj = Obj("""{"metadata":{"name":"c"},"data":{}}""");
        obj["data"]![new string('k', 254)] = "v";

        AssertCause(Causes("configmaps", obj), "FieldValueInvalid", $"data[{new string('k', 254)}]", "Invalid value: \"kkk");
    }

    [Fact]
    public void Secret_keys_checked_like_config_keys()
    {
        AssertCause(Causes("secrets", Obj("""{"metadata":{"name":"s"},"stringData":{"a/b":"x"}}""")), "FieldValueInvalid", "stringData[a/b]");
    }

    [Fact]
    public void Namespace_needs_only_valid_metadata()
    {
        Assert.Empty(Causes("namespaces", Obj("""{"metadata":{"name":"team-a"},"spec":{"finalizers":["kubernetes"]}}""")));
    }

    [Fact]
    public void Extra_rules_extend_the_table()
    {
        var custom = new ObjectValidator(new Dictionary<string, KindRule>
        {
            ["configmaps"] = new(NameValidation.IsDns1123Label, (obj, errors) =>
            {
                if (obj["data"] is null) errors.Required("data");
            }),
        });

        var causes = custom.Collect(Type("configmaps"), Obj("""{"metadata":{"name":"a.b"}}"""));

        AssertCause(causes, "FieldValueInvalid", "metadata.name");
        AssertCause(causes, "FieldValueRequired", "data");
    }
}
