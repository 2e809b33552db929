using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Protobuf;

namespace Grainetes.Machinery.Tests.Protobuf;

public sealed class KubernetesProtobufTests
{
    private static void AssertJson(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual.ToJsonString()}");

    private static ApiException Fails(byte[] body) => Assert.Throws<ApiException>(() => KubernetesProtobuf.Decode(body));

    // ObjectMeta as gogo-protobuf writes it for a fresh object: every value field present, most of them empty.
    private static Action<ProtoWriter> Meta(string name, string? ns = null, Action<ProtoWriter>? extra = null) => m =>
    {
        m.String(1, name).String(2, string.Empty).String(3, ns ?? string.Empty).String(4, string.Empty)
            .String(5, string.Empty).String(6, string.Empty).Int(7, 0).Message(8, _ => { });
        extra?.Invoke(m);
    };

    [Theory]
    [InlineData("application/vnd.kubernetes.protobuf", true)]
    [InlineData("Application/VND.Kubernetes.Protobuf; charset=utf-8", true)]
    [InlineData(" application/vnd.kubernetes.protobuf ", true)]
    [InlineData("application/json", false)]
    [InlineData("application/vnd.kubernetes.protobuf+json", false)]
    [InlineData(null, false)]
    [InlineData("", false)]
    public void IsProtobuf_recognises_the_media_type_with_parameters(string? contentType, bool expected) =>
        Assert.Equal(expected, KubernetesProtobuf.IsProtobuf(contentType));

    // Written by hand from the field numbers: Unknown{1 typeMeta{1 "v1", 2 "ConfigMap"}, 2 raw, 3 "", 4 ""}
    // where raw = ConfigMap{1 metadata{1 name "x"}, 2 data{"a": "b"}}.
    private static readonly byte[] MinimalConfigMap =
    [
        0x6b, 0x38, 0x73, 0x00,                                   // "k8s\0"
        0x0a, 0x0f,                                               // 1: typeMeta, 15 bytes
        0x0a, 0x02, (byte)'v', (byte)'1',                         //   1: apiVersion "v1"
        0x12, 0x09, .. "ConfigMap"u8,                             //   2: kind "ConfigMap"
        0x12, 0x0d,                                               // 2: raw, 13 bytes
        0x0a, 0x03, 0x0a, 0x01, (byte)'x',                        //   1: metadata{1: name "x"}
        0x12, 0x06, 0x0a, 0x01, (byte)'a', 0x12, 0x01, (byte)'b', //   2: data entry {1: "a", 2: "b"}
        0x1a, 0x00,                                               // 3: contentEncoding ""
        0x22, 0x00,                                               // 4: contentType ""
    ];

    [Fact]
    public void Golden_minimal_configmap_bytes_decode() =>
        AssertJson("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"b"}}""", KubernetesProtobuf.Decode(MinimalConfigMap));

    [Fact]
    public void Test_writer_produces_the_hand_written_golden_bytes() =>
        Assert.Equal(MinimalConfigMap, ProtoWriter.Envelope("v1", "ConfigMap", cm => cm.Message(1, m => m.String(1, "x")).MapEntry(2, "a", "b")));

    [Fact]
    public void Envelope_supplies_apiVersion_and_kind_first()
    {
        var json = KubernetesProtobuf.Decode(ProtoWriter.Envelope("v1", "ConfigMap", cm => cm.Message(1, Meta("c"))));
        Assert.Equal(["apiVersion", "kind", "metadata"], json.Select(p => p.Key));
        Assert.Equal("v1", json["apiVersion"]!.GetValue<string>());
        Assert.Equal("ConfigMap", json["kind"]!.GetValue<string>());
    }

    [Fact]
    public void ConfigMap_with_data_binary_data_labels_and_annotations()
    {
        var body = ProtoWriter.Envelope("v1", "ConfigMap", cm => cm
            .Message(1, Meta("settings", "default", m => m
                .MapEntry(11, "app", "web").MapEntry(11, "tier", "front")
                .MapEntry(12, "note", "hello")))
            .MapEntry(2, "a", "1").MapEntry(2, "empty", string.Empty)
            .Message(3, e => e.String(1, "bin").Bytes(2, [0, 1, 2]))
            .Bool(4, false));

        AssertJson("""
            {"apiVersion":"v1","kind":"ConfigMap",
             "metadata":{"name":"settings","namespace":"default","creationTimestamp":null,
                         "labels":{"app":"web","tier":"front"},"annotations":{"note":"hello"}},
             "data":{"a":"1","empty":""},
             "binaryData":{"bin":"AAEC"},
             "immutable":false}
            """, KubernetesProtobuf.Decode(body));
    }

    [Fact]
    public void Namespace_with_finalizers_and_empty_status()
    {
        var body = ProtoWriter.Envelope("v1", "Namespace", ns => ns
            .Message(1, Meta("team-a"))
            .Message(2, s => s.String(1, "kubernetes"))
            .Message(3, s => s.String(1, string.Empty)));

        AssertJson("""
            {"apiVersion":"v1","kind":"Namespace",
             "metadata":{"name":"team-a","creationTimestamp":null},
             "spec":{"finalizers":["kubernetes"]},"status":{}}
            """, KubernetesProtobuf.Decode(body));
    }

    [Fact]
    public void Creation_timestamp_is_null_when_empty_absent_when_missing_and_RFC3339_when_set()
    {
        var empty = KubernetesProtobuf.Decode(ProtoWriter.Envelope("v1", "ConfigMap", cm => cm.Message(1, m => m.String(1, "a").Message(8, _ => { }))));
        Assert.True(empty["metadata"]!.AsObject().ContainsKey("creationTimestamp"));
        Assert.Null(empty["metadata"]!["creationTimestamp"]);

        var absent = KubernetesProtobuf.Decode(ProtoWriter.Envelope("v1", "ConfigMap", cm => cm.Message(1, m => m.String(1, "a"))));
        Assert.False(absent["metadata"]!.AsObject().ContainsKey("creationTimestamp"));

        var set = KubernetesProtobuf.Decode(ProtoWriter.Envelope("v1", "ConfigMap", cm => cm.Message(1, m => m
            .String(1, "a")
            .Message(8, t => t.Int(1, 1704067200).Int(2, 500))
            .Message(9, t => t.Int(1, 1704067261))
            .Int(10, 0))));
        AssertJson("""
            {"name":"a","creationTimestamp":"2024-01-01T00:00:00Z","deletionTimestamp":"2024-01-01T00:01:01Z","deletionGracePeriodSeconds":0}
            """, set["metadata"]!);
    }

    [Fact]
    public void Object_meta_owner_references_finalizers_and_generation()
    {
        var body = ProtoWriter.Envelope("v1", "ConfigMap", cm => cm.Message(1, m => m
            .String(1, "child").String(5, "uid-1").String(6, "42").Int(7, 3)
            .Message(13, o => o.String(1, "ReplicaSet").String(3, "rs").String(4, "uid-0").String(5, "apps/v1").Bool(6, true).Bool(7, false))
            .String(14, "example.com/cleanup")
            .Message(17, f => f.String(1, "kubectl").String(2, "Update").String(3, "v1").Message(7, r => r.Bytes(1, "{\"f:data\":{}}"u8.ToArray())))));

        AssertJson("""
            {"name":"child","uid":"uid-1","resourceVersion":"42","generation":3,
             "ownerReferences":[{"kind":"ReplicaSet","name":"rs","uid":"uid-0","apiVersion":"apps/v1","controller":true,"blockOwnerDeletion":false}],
             "finalizers":["example.com/cleanup"],
             "managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1","fieldsV1":{"f:data":{}}}]}
            """, KubernetesProtobuf.Decode(body)["metadata"]!);
    }

    [Fact]
    public void Secret_data_is_base64_and_type_kept()
    {
        var body = ProtoWriter.Envelope("v1", "Secret", s => s
            .Message(1, Meta("creds", "default"))
            .Message(2, e => e.String(1, "password").Bytes(2, "hunter2"u8.ToArray()))
            .String(3, "Opaque"));

        AssertJson("""
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds","namespace":"default","creationTimestamp":null},
             "data":{"password":"aHVudGVyMg=="},"type":"Opaque"}
            """, KubernetesProtobuf.Decode(body));
    }

    [Fact]
    public void Deployment_with_pod_template_containers_env_ports_resources_and_rolling_update()
    {
        var body = ProtoWriter.Envelope("apps/v1", "Deployment", d => d
            .Message(1, Meta("web", "default", m => m.MapEntry(11, "app", "web")))
            .Message(2, spec => spec
                .Int(1, 3)
                .Message(2, sel => sel
                    .MapEntry(1, "app", "web")
                    .Message(2, r => r.String(1, "tier").String(2, "In").String(3, "front").String(3, "edge")))
                .Message(3, tpl => tpl
                    .Message(1, Meta(string.Empty, null, m => m.MapEntry(11, "app", "web")))
                    .Message(2, pod => pod
                        .Message(2, c => c
                            .String(1, "nginx").String(2, "nginx:1.27")
                            .String(3, "nginx").String(4, "-g").String(4, "daemon off;")
                            .Message(6, p => p.String(1, "http").Int(2, 0).Int(3, 80).String(4, "TCP"))
                            .Message(7, e => e.String(1, "MODE").String(2, "prod"))
                            .Message(7, e => e.String(1, "PASSWORD").String(2, string.Empty)
                                .Message(3, src => src.Message(4, k => k.Message(1, l => l.String(1, "creds")).String(2, "password").Bool(3, true))))
                            .Message(8, r => r
                                .Message(1, e => e.String(1, "cpu").Message(2, q => q.String(1, "500m")))
                                .Message(2, e => e.String(1, "memory").Message(2, q => q.String(1, "128Mi"))))
                            .Message(10, probe => probe
                                .Message(1, h => h.Message(2, g => g.String(1, "/healthz").Message(2, i => i.Int(1, 1).String(3, "http"))))
                                .Int(2, 5))
                            .String(14, "IfNotPresent")
                            .Bool(16, false))
                        .String(3, "Always")
                        .Int(4, 30)
                        .Bool(11, false)
                        .Message(22, t => t.String(1, "node.kubernetes.io/not-ready").String(2, "Exists").String(4, "NoExecute").Int(5, 300))))
                .Message(4, strategy => strategy
                    .String(1, "RollingUpdate")
                    .Message(2, ru => ru
                        .Message(1, i => i.Int(1, 0).Int(2, 1))
                        .Message(2, i => i.Int(1, 1).Int(2, 0).String(3, "25%"))))
                .Int(5, 0)
                .Int(6, 10))
            .Message(3, _ => { }));

        AssertJson("""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"web","namespace":"default","creationTimestamp":null,"labels":{"app":"web"}},
             "spec":{
               "replicas":3,
               "selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["front","edge"]}]},
               "template":{
                 "metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
                 "spec":{
                   "containers":[{
                     "name":"nginx","image":"nginx:1.27","command":["nginx"],"args":["-g","daemon off;"],
                     "ports":[{"name":"http","containerPort":80,"protocol":"TCP"}],
                     "env":[{"name":"MODE","value":"prod"},
                            {"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"creds","key":"password","optional":true}}}],
                     "resources":{"limits":{"cpu":"500m"},"requests":{"memory":"128Mi"}},
                     "livenessProbe":{"httpGet":{"path":"/healthz","port":"http"},"initialDelaySeconds":5},
                     "imagePullPolicy":"IfNotPresent"}],
                   "restartPolicy":"Always",
                   "terminationGracePeriodSeconds":30,
                   "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]}},
               "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":"25%"}},
               "revisionHistoryLimit":10},
             "status":{}}
            """, KubernetesProtobuf.Decode(body));
    }

    [Fact]
    public void Pointer_scalars_keep_their_zero_values()
    {
        // replicas is *int32 in Go: a zero on the wire is an explicit 0, unlike minReadySeconds.
        var body = ProtoWriter.Envelope("apps/v1", "Deployment", d => d.Message(2, s => s.Int(1, 0).Int(5, 0).Bool(7, false)));
        AssertJson("""{"replicas":0}""", KubernetesProtobuf.Decode(body)["spec"]!);
    }

    [Fact]
    public void Service_with_ports_numeric_and_named_target_ports()
    {
        var body = ProtoWriter.Envelope("v1", "Service", svc => svc
            .Message(1, Meta("api", "default"))
            .Message(2, spec => spec
                .Message(1, p => p.String(1, "http").String(2, "TCP").Int(3, 80).Message(4, t => t.Int(1, 0).Int(2, 8080)).Int(5, 0))
                .Message(1, p => p.String(1, "metrics").String(2, "TCP").Int(3, 9090).Message(4, t => t.Int(1, 1).String(3, "metrics")).Int(5, 30090))
                .MapEntry(2, "app", "api")
                .String(3, string.Empty)
                .String(4, "NodePort")
                .String(18, "10.0.0.10")
                .Bool(20, true))
            .Message(3, st => st.Message(1, _ => { })));

        AssertJson("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"api","namespace":"default","creationTimestamp":null},
             "spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080},
                              {"name":"metrics","protocol":"TCP","port":9090,"targetPort":"metrics","nodePort":30090}],
                     "selector":{"app":"api"},"type":"NodePort","clusterIPs":["10.0.0.10"],"allocateLoadBalancerNodePorts":true},
             "status":{"loadBalancer":{}}}
            """, KubernetesProtobuf.Decode(body));
    }

    [Fact]
    public void Repeated_scalars_accept_packed_and_unpacked_encodings()
    {
        // PodSecurityContext.supplementalGroups (4) is repeated int64.
        var body = ProtoWriter.Envelope("v1", "Pod", pod => pod.Message(2, spec => spec.Message(14, sc => sc
            .Packed(4, 1000, 2000)
            .Int(4, 3000)
            .Packed(4))));
        AssertJson("""{"supplementalGroups":[1000,2000,3000]}""", KubernetesProtobuf.Decode(body)["spec"]!["securityContext"]!);
    }

    [Fact]
    public void Negative_int32_and_int64_round_trip()
    {
        // Ten-byte sign-extended varints, as Go writes negative int32 and int64.
        var body = ProtoWriter.Envelope("v1", "Pod", pod => pod.Message(2, spec => spec.Int(25, -5).Int(5, -7)));
        AssertJson("""{"priority":-5,"activeDeadlineSeconds":-7}""", KubernetesProtobuf.Decode(body)["spec"]!);
    }

    [Fact]
    public void Unknown_fields_are_skipped_in_every_wire_type()
    {
        var body = ProtoWriter.Envelope("v1", "ConfigMap", cm => cm
            .Int(100, 7)
            .Double(101, 1.5)
            .String(102, "future")
            .Raw(0xb5, 0x06, 1, 2, 3, 4) // field 102, wire type 5 (fixed32)
            .Message(1, m => m.String(1, "x").String(99, "later"))
            .MapEntry(2, "k", "v"));
        AssertJson("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":"v"}}""", KubernetesProtobuf.Decode(body));
    }

    [Fact]
    public void Job_and_cron_job_decode_through_the_job_template()
    {
        var body = ProtoWriter.Envelope("batch/v1", "CronJob", cj => cj
            .Message(1, Meta("nightly", "default"))
            .Message(2, spec => spec
                .String(1, "0 3 * * *")
                .String(3, "Forbid")
                .Message(5, jt => jt
                    .Message(1, Meta("nightly"))
                    .Message(2, job => job
                        .Int(7, 2)
                        .Message(6, tpl => tpl.Message(2, pod => pod
                            .Message(2, c => c.String(1, "run").String(2, "busybox").String(3, "date"))
                            .String(3, "OnFailure")))))));

        AssertJson("""
            {"apiVersion":"batch/v1","kind":"CronJob",
             "metadata":{"name":"nightly","namespace":"default","creationTimestamp":null},
             "spec":{"schedule":"0 3 * * *","concurrencyPolicy":"Forbid",
                     "jobTemplate":{"metadata":{"name":"nightly","creationTimestamp":null},
                                    "spec":{"backoffLimit":2,"template":{"spec":{"containers":[{"name":"run","image":"busybox","command":["date"]}],"restartPolicy":"OnFailure"}}}}}}
            """, KubernetesProtobuf.Decode(body));
    }

    [Fact]
    public void Volumes_flatten_inline_local_object_references()
    {
        var body = ProtoWriter.Envelope("v1", "Pod", pod => pod.Message(2, spec => spec
            .Message(1, v => v.String(1, "cfg").Message(2, src => src.Message(19, cm => cm
                .Message(1, r => r.String(1, "settings"))
                .Message(2, k => k.String(1, "a").String(2, "a.conf"))
                .Int(3, 420))))
            .Message(1, v => v.String(1, "scratch").Message(2, src => src.Message(2, e => e.String(1, "Memory").Message(2, q => q.String(1, "64Mi")))))));

        AssertJson("""
            [{"name":"cfg","configMap":{"name":"settings","items":[{"key":"a","path":"a.conf"}],"defaultMode":420}},
             {"name":"scratch","emptyDir":{"medium":"Memory","sizeLimit":"64Mi"}}]
            """, KubernetesProtobuf.Decode(body)["spec"]!["volumes"]!);
    }

    [Fact]
    public void Bad_magic_is_a_bad_request()
    {
        var body = ProtoWriter.Envelope("v1", "ConfigMap", _ => { });
        body[2] = (byte)'X';
        Assert.Equal(400, Fails(body).Code);
        Assert.Equal(400, Fails("{}"u8.ToArray()).Code);
        Assert.Equal(400, Fails([]).Code);
    }

    [Fact]
    public void Truncated_bodies_are_bad_requests()
    {
        var body = ProtoWriter.Envelope("apps/v1", "Deployment", d => d.Message(1, Meta("web", "default")).Message(2, s => s.Int(1, 3)));
        // Cutting exactly between envelope fields leaves valid protobuf; every cut inside a field must fail.
        var typeMetaEnd = 6 + body[5];
        var rawEnd = body.Length - 4;
        for (var length = 5; length < rawEnd; length++)
        {
            if (length == typeMetaEnd)
            {
                continue;
            }

            var exception = Assert.Throws<ApiException>(() => KubernetesProtobuf.Decode(body.AsSpan(0, length)));
            Assert.Equal(400, exception.Code);
        }
    }

    [Fact]
    public void Truncated_varint_inside_an_object_is_a_bad_request()
    {
        var raw = new ProtoWriter().Message(2, s => s.Raw(0x08, 0xff, 0xff)).ToArray(); // replicas varint never ends
        var exception = Fails(ProtoWriter.Envelope("apps/v1", "Deployment", raw));
        Assert.Equal(400, exception.Code);
        Assert.Equal("BadRequest", exception.Reason);
        Assert.Contains("varint", exception.Message);
    }

    [Fact]
    public void Overlong_varint_is_a_bad_request() =>
        Assert.Equal(400, Fails(ProtoWriter.Envelope("v1", "ConfigMap", w => w.Raw(0xa0, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01))).Code);

    [Fact]
    public void Wrong_wire_type_for_a_known_field_is_a_bad_request()
    {
        // metadata (1) sent as a varint.
        var exception = Fails(ProtoWriter.Envelope("v1", "ConfigMap", cm => cm.Int(1, 5)));
        Assert.Equal(400, exception.Code);
        Assert.Contains("ConfigMap.metadata", exception.Message);

        // replicas (1) sent as a string.
        Assert.Equal(400, Fails(ProtoWriter.Envelope("apps/v1", "Deployment", d => d.Message(2, s => s.String(1, "3")))).Code);
    }

    [Fact]
    public void Group_wire_types_and_field_zero_are_bad_requests()
    {
        Assert.Equal(400, Fails(ProtoWriter.Envelope("v1", "ConfigMap", cm => cm.Raw(0xa3, 0x06))).Code); // field 100, start group
        Assert.Equal(400, Fails(ProtoWriter.Envelope("v1", "ConfigMap", cm => cm.Raw(0x00, 0x00))).Code);
    }

    [Fact]
    public void Envelope_without_kind_is_a_bad_request()
    {
        byte[] body = [.. "k8s\0"u8.ToArray(), .. new ProtoWriter().Message(1, t => t.String(1, "v1")).Bytes(2, []).ToArray()];
        Assert.Equal(400, Fails(body).Code);
    }

    [Fact]
    public void Unknown_kind_is_unsupported_media_type()
    {
        var exception = Fails(ProtoWriter.Envelope("storage.k8s.io/v1", "StorageClass", i => i.Message(1, Meta("fast"))));
        Assert.Equal(415, exception.Code);
        Assert.Equal("UnsupportedMediaType", exception.Reason);
        Assert.Contains("StorageClass", exception.Message);

        // Known kind name in a version the table does not describe.
        Assert.Equal(415, Fails(ProtoWriter.Envelope("apps/v1beta1", "Deployment", _ => { })).Code);
    }

    [Fact]
    public void Content_encoding_is_unsupported_media_type()
    {
        var unknown = new ProtoWriter()
            .Message(1, t => t.String(1, "v1").String(2, "ConfigMap"))
            .Bytes(2, [])
            .String(3, "gzip");
        Assert.Equal(415, Fails([.. "k8s\0"u8.ToArray(), .. unknown.ToArray()]).Code);
    }
}
