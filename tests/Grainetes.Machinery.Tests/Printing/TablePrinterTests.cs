using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Tests.Printing;

public sealed class TablePrinterTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TablePrinter printer = new();

    private static ResourceType Type(string storageKey) => ResourceRegistry.BuiltIn.Get(storageKey);

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    private static string Created(int secondsAgo) => Now.AddSeconds(-secondsAgo).ToString("yyyy-MM-ddTHH:mm:ssZ");

    private JsonArray Cells(string storageKey, string json) =>
        printer.ToTable(Type(storageKey), [Parse(json)], null, null, "Metadata", Now)["rows"]![0]!["cells"]!.AsArray();

    private string[] ColumnNames(string storageKey) =>
        printer.ToTable(Type(storageKey), [], null, null, null, Now)["columnDefinitions"]!.AsArray()
            .Select(c => c!["name"]!.GetValue<string>()).ToArray();

    [Fact]
    public void Table_has_kind_metadata_and_partial_object_metadata_rows()
    {
        var pod = Parse($$$$"""{"metadata":{"name":"web","namespace":"default","creationTimestamp":"{{{{Created(5)}}}}"},"spec":{"containers":[{"name":"a"}]}}""");
        var table = printer.ToTable(Type("pods"), [pod], "42", "next", "Metadata", Now);

        Assert.Equal("Table", table["kind"]!.GetValue<string>());
        Assert.Equal("meta.k8s.io/v1", table["apiVersion"]!.GetValue<string>());
        Assert.Equal("42", table["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("next", table["metadata"]!["continue"]!.GetValue<string>());
        var obj = table["rows"]![0]!["object"]!;
        Assert.Equal("PartialObjectMetadata", obj["kind"]!.GetValue<string>());
        Assert.Equal("web", obj["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("default", obj["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Null(obj["spec"]);
    }

    [Fact]
    public void IncludeObject_Object_embeds_the_full_item_and_None_omits_it()
    {
        var pod = Parse("""{"metadata":{"name":"web"},"spec":{"containers":[]}}""");
        var full = printer.ToTable(Type("pods"), [pod], null, null, "Object", Now);
        var none = printer.ToTable(Type("pods"), [pod], null, null, "None", Now);

        Assert.NotNull(full["rows"]![0]!["object"]!["spec"]);
        Assert.False(none["rows"]![0]!.AsObject().ContainsKey("object"));
    }

    [Fact]
    public void Invalid_includeObject_is_a_bad_request()
    {
        var error = Assert.Throws<ApiException>(() => printer.ToTable(Type("pods"), [], null, null, "Everything", Now));
        Assert.Equal(400, error.Code);
    }

    [Fact]
    public void Pod_columns_mark_wide_ones_priority_1()
    {
        var columns = printer.ColumnsFor(Type("pods"));
        Assert.Equal(["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"], columns.Select(c => c.Name));
        Assert.All(columns.Take(5), c => Assert.Equal(0, c.Priority));
        Assert.All(columns.Skip(5), c => Assert.Equal(1, c.Priority));
        Assert.Equal("name", columns[0].Format);
    }

    [Fact]
    public void Running_pod_row_shows_ready_count_status_restarts_age_ip_and_node()
    {
        var cells = Cells("pods", $$$$"""
            {"metadata":{"name":"web-1","creationTimestamp":"{{{{Created(200)}}}}"},
             "spec":{"nodeName":"node-a","containers":[{"name":"a"},{"name":"b"}]},
             "status":{"phase":"Running","podIP":"10.1.0.5","podIPs":[{"ip":"10.1.0.5"}],
               "containerStatuses":[
                 {"name":"a","ready":true,"restartCount":0,"state":{"running":{}}},
                 {"name":"b","ready":false,"restartCount":0,"state":{"running":{}}}]}}
            """);

        Assert.Equal("web-1", cells[0]!.GetValue<string>());
        Assert.Equal("1/2", cells[1]!.GetValue<string>());
        Assert.Equal("Running", cells[2]!.GetValue<string>());
        Assert.Equal("0", cells[3]!.GetValue<string>());
        Assert.Equal("3m20s", cells[4]!.GetValue<string>());
        Assert.Equal("10.1.0.5", cells[5]!.GetValue<string>());
        Assert.Equal("node-a", cells[6]!.GetValue<string>());
        Assert.Equal("<none>", cells[7]!.GetValue<string>());
        Assert.Equal("<none>", cells[8]!.GetValue<string>());
    }

    [Fact]
    public void Pod_in_crash_loop_shows_waiting_reason_and_restarts_with_last_restart_age()
    {
        var cells = Cells("pods", $$$$"""
            {"metadata":{"name":"crash","creationTimestamp":"{{{{Created(3600)}}}}"},
             "spec":{"containers":[{"name":"a"}]},
             "status":{"phase":"Running","containerStatuses":[
               {"name":"a","ready":false,"restartCount":5,
                "state":{"waiting":{"reason":"CrashLoopBackOff"}},
                "lastState":{"terminated":{"exitCode":1,"finishedAt":"{{{{Created(300)}}}}"}}}]}}
            """);

        Assert.Equal("0/1", cells[1]!.GetValue<string>());
        Assert.Equal("CrashLoopBackOff", cells[2]!.GetValue<string>());
        Assert.Equal("5 (5m ago)", cells[3]!.GetValue<string>());
    }

    [Fact]
    public void Pod_being_deleted_is_Terminating()
    {
        var cells = Cells("pods", $$$$"""
            {"metadata":{"name":"bye","deletionTimestamp":"{{{{Created(1)}}}}"},
             "spec":{"containers":[{"name":"a"}]},
             "status":{"phase":"Running","containerStatuses":[{"name":"a","ready":true,"state":{"running":{}}}]}}
            """);

        Assert.Equal("Terminating", cells[2]!.GetValue<string>());
    }

    [Fact]
    public void Pod_waiting_on_init_containers_shows_Init_progress()
    {
        var cells = Cells("pods", """
            {"metadata":{"name":"init"},
             "spec":{"initContainers":[{"name":"i1"},{"name":"i2"}],"containers":[{"name":"a"}]},
             "status":{"phase":"Pending","initContainerStatuses":[
               {"name":"i1","state":{"terminated":{"exitCode":0}}},
               {"name":"i2","state":{"running":{}}}],
               "containerStatuses":[{"name":"a","state":{"waiting":{"reason":"PodInitializing"}}}]}}
            """);

        Assert.Equal("Init:1/2", cells[2]!.GetValue<string>());
        Assert.Equal("<unknown>", cells[4]!.GetValue<string>());
    }

    [Fact]
    public void Failed_init_container_shows_Init_reason()
    {
        var cells = Cells("pods", """
            {"metadata":{"name":"init"},"spec":{"initContainers":[{"name":"i1"}],"containers":[{"name":"a"}]},
             "status":{"phase":"Pending","initContainerStatuses":[{"name":"i1","state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}
            """);

        Assert.Equal("Init:CrashLoopBackOff", cells[2]!.GetValue<string>());
    }

    [Fact]
    public void Succeeded_pod_shows_Completed_and_has_row_condition()
    {
        var table = printer.ToTable(Type("pods"), [Parse("""
            {"metadata":{"name":"job"},"spec":{"containers":[{"name":"a"}]},
             "status":{"phase":"Succeeded","containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}
            """)], null, null, null, Now);
        var row = table["rows"]![0]!;

        Assert.Equal("Completed", row["cells"]![2]!.GetValue<string>());
        Assert.Equal("Completed", row["conditions"]![0]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Deployment_row_shows_ready_of_desired_and_integer_counts()
    {
        Assert.Equal(["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"], ColumnNames("deployments.apps"));
        var cells = Cells("deployments.apps", """
            {"metadata":{"name":"web"},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web","tier":"fe"}},
               "template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"},{"name":"side","image":"busybox"}]}}},
             "status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}}
            """);

        Assert.Equal("2/3", cells[1]!.GetValue<string>());
        Assert.Equal(3L, cells[2]!.GetValue<long>());
        Assert.Equal(2L, cells[3]!.GetValue<long>());
        Assert.Equal("nginx,side", cells[5]!.GetValue<string>());
        Assert.Equal("nginx:1.27,busybox", cells[6]!.GetValue<string>());
        Assert.Equal("app=web,tier=fe", cells[7]!.GetValue<string>());
    }

    [Fact]
    public void ReplicaSet_row_shows_desired_current_ready_and_selector_expressions()
    {
        Assert.Equal(["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"], ColumnNames("replicasets.apps"));
        var cells = Cells("replicasets.apps", """
            {"metadata":{"name":"web-abc"},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"env","operator":"In","values":["prod","dev"]}]}},
             "status":{"replicas":2,"readyReplicas":1}}
            """);

        Assert.Equal(2L, cells[1]!.GetValue<long>());
        Assert.Equal(2L, cells[2]!.GetValue<long>());
        Assert.Equal(1L, cells[3]!.GetValue<long>());
        Assert.Equal("app=web,env in (dev,prod)", cells[7]!.GetValue<string>());
    }

    [Fact]
    public void NodePort_service_shows_node_ports_and_no_external_ip()
    {
        Assert.Equal(["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"], ColumnNames("services"));
        var cells = Cells("services", """
            {"metadata":{"name":"web"},
             "spec":{"type":"NodePort","clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"selector":{"app":"web"},
               "ports":[{"port":80,"nodePort":30080,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]}}
            """);

        Assert.Equal("NodePort", cells[1]!.GetValue<string>());
        Assert.Equal("10.96.0.10", cells[2]!.GetValue<string>());
        Assert.Equal("<none>", cells[3]!.GetValue<string>());
        Assert.Equal("80:30080/TCP,53/UDP", cells[4]!.GetValue<string>());
        Assert.Equal("app=web", cells[6]!.GetValue<string>());
    }

    [Fact]
    public void LoadBalancer_service_shows_ingress_ips_or_pending()
    {
        var withIngress = Cells("services", """
            {"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","ports":[{"port":443}]},
             "status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}}
            """);
        var pending = Cells("services", """{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer"}}""");

        Assert.Equal("203.0.113.7", withIngress[3]!.GetValue<string>());
        Assert.Equal("443/TCP", withIngress[4]!.GetValue<string>());
        Assert.Equal("<pending>", pending[3]!.GetValue<string>());
        Assert.Equal("<none>", pending[4]!.GetValue<string>());
    }

    [Fact]
    public void Endpoints_are_listed_as_ip_port_and_capped_at_three()
    {
        var few = Cells("endpoints", """
            {"metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],"ports":[{"port":80}]}]}
            """);
        var many = Cells("endpoints", """
            {"metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"},{"ip":"10.0.0.3"},{"ip":"10.0.0.4"},{"ip":"10.0.0.5"}],"ports":[{"port":80}]}]}
            """);
        var none = Cells("endpoints", """{"metadata":{"name":"web"}}""");

        Assert.Equal("10.0.0.1:80,10.0.0.2:80", few[1]!.GetValue<string>());
        Assert.Equal("10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...", many[1]!.GetValue<string>());
        Assert.Equal("<none>", none[1]!.GetValue<string>());
    }

    [Fact]
    public void Cordoned_ready_node_shows_SchedulingDisabled_roles_and_node_info()
    {
        Assert.Equal(["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"], ColumnNames("nodes"));
        var cells = Cells("nodes", """
            {"metadata":{"name":"node-a","labels":{"node-role.kubernetes.io/control-plane":"","node-role.kubernetes.io/worker":""}},
             "spec":{"unschedulable":true},
             "status":{"conditions":[{"type":"Ready","status":"True"}],
               "addresses":[{"type":"InternalIP","address":"192.168.1.10"}],
               "nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Ubuntu","kernelVersion":"6.8.0","containerRuntimeVersion":"containerd://2.0"}}}
            """);

        Assert.Equal("Ready,SchedulingDisabled", cells[1]!.GetValue<string>());
        Assert.Equal("control-plane,worker", cells[2]!.GetValue<string>());
        Assert.Equal("v1.32.0", cells[4]!.GetValue<string>());
        Assert.Equal("192.168.1.10", cells[5]!.GetValue<string>());
        Assert.Equal("<none>", cells[6]!.GetValue<string>());
        Assert.Equal("containerd://2.0", cells[9]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"n"},"status":{"conditions":[{"type":"Ready","status":"False"}]}}""", "NotReady")]
    [InlineData("""{"metadata":{"name":"n"},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}}""", "NotReady")]
    [InlineData("""{"metadata":{"name":"n"}}""", "Unknown")]
    public void Node_status_follows_the_Ready_condition(string json, string expected) =>
        Assert.Equal(expected, Cells("nodes", json)[1]!.GetValue<string>());

    [Fact]
    public void Small_kinds_show_their_counts_and_fields()
    {
        Assert.Equal(["Name", "Status", "Age"], ColumnNames("namespaces"));
        Assert.Equal("Active", Cells("namespaces", """{"metadata":{"name":"default"},"status":{"phase":"Active"}}""")[1]!.GetValue<string>());
        Assert.Equal(["Name", "Data", "Age"], ColumnNames("configmaps"));
        Assert.Equal(3L, Cells("configmaps", """{"metadata":{"name":"c"},"data":{"a":"1","b":"2"},"binaryData":{"c":"AA=="}}""")[1]!.GetValue<long>());
        Assert.Equal(["Name", "Type", "Data", "Age"], ColumnNames("secrets"));
        var secret = Cells("secrets", """{"metadata":{"name":"s"},"type":"Opaque","data":{"a":"AA=="}}""");
        Assert.Equal("Opaque", secret[1]!.GetValue<string>());
        Assert.Equal(1L, secret[2]!.GetValue<long>());
        Assert.Equal(["Name", "Secrets", "Age"], ColumnNames("serviceaccounts"));
        Assert.Equal(0L, Cells("serviceaccounts", """{"metadata":{"name":"default"}}""")[1]!.GetValue<long>());
        Assert.Equal(["Name", "Holder", "Age"], ColumnNames("leases.coordination.k8s.io"));
        Assert.Equal("node-a", Cells("leases.coordination.k8s.io", """{"metadata":{"name":"l"},"spec":{"holderIdentity":"node-a"}}""")[1]!.GetValue<string>());
    }

    [Fact]
    public void Event_row_shows_last_seen_object_source_and_count()
    {
        Assert.Equal(["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"], ColumnNames("events"));
        var cells = Cells("events", $$$$"""
            {"metadata":{"name":"web-1.abc"},"type":"Warning","reason":"BackOff","message":" Back-off restarting ",
             "involvedObject":{"kind":"Pod","name":"web-1","fieldPath":"spec.containers{a}"},
             "source":{"component":"kubelet","host":"node-a"},
             "firstTimestamp":"{{{{Created(600)}}}}","lastTimestamp":"{{{{Created(30)}}}}","count":4}
            """);

        Assert.Equal("30s", cells[0]!.GetValue<string>());
        Assert.Equal("Warning", cells[1]!.GetValue<string>());
        Assert.Equal("pod/web-1", cells[3]!.GetValue<string>());
        Assert.Equal("spec.containers{a}", cells[4]!.GetValue<string>());
        Assert.Equal("kubelet, node-a", cells[5]!.GetValue<string>());
        Assert.Equal("Back-off restarting", cells[6]!.GetValue<string>());
        Assert.Equal("10m", cells[7]!.GetValue<string>());
        Assert.Equal(4L, cells[8]!.GetValue<long>());
        Assert.Equal("web-1.abc", cells[9]!.GetValue<string>());
    }

    [Fact]
    public void Kind_without_printer_gets_name_and_age()
    {
        var custom = new ResourceType
        {
            Group = "example.com", Version = "v1", Kind = "Widget", Plural = "widgets", Singular = "widget",
            Namespaced = true, ModelType = typeof(object),
        };
        var table = printer.ToTable(custom, [Parse($$$$"""{"metadata":{"name":"w","creationTimestamp":"{{{{Created(7200)}}}}"}}""")], null, null, null, Now);

        Assert.Equal(["Name", "Age"], table["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("120m", table["rows"]![0]!["cells"]![1]!.GetValue<string>());
    }
}
