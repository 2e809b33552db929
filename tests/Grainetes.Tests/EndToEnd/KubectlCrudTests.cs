using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>Real kubectl against the real host: create, apply, replace, patch, label, delete.</summary>
[Collection(ClusterCollection.Name)]
public sealed class KubectlCrudTests(ClusterFixture cluster)
{
    private readonly Kubectl kubectl = cluster.Kubectl;

    private async Task<string> NewNamespaceAsync()
    {
        var ns = "t-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create -f -", $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")).EnsureSuccess();
        return ns;
    }

    private async Task<JsonObject> GetJsonAsync(string args) =>
        JsonNode.Parse((await kubectl.RunAsync(args + " -o json")).EnsureSuccess().Stdout)!.AsObject();

    [Fact]
    public async Task ApplyCreatesThenUpdatesADeploymentAndBumpsItsGeneration()
    {
        var ns = await NewNamespaceAsync();
        var manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - name: web
                    image: busybox:1.36
                    env: [{name: A, value: "1"}, {name: B, value: "x"}]
            """;
        var created = (await kubectl.RunAsync($"apply -n {ns} -f -", manifest)).EnsureSuccess();
        Assert.Contains("deployment.apps/web created", created.Stdout);

        var updated = (await kubectl.RunAsync($"apply -n {ns} -f -", manifest.Replace("value: \"1\"", "value: \"2\""))).EnsureSuccess();
        Assert.Contains("deployment.apps/web configured", updated.Stdout);

        var deployment = await GetJsonAsync($"get deploy web -n {ns}");
        var env = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        Assert.Equal("2", (string?)env.Single(e => (string?)e!["name"] == "A")!["value"]);
        Assert.Equal("x", (string?)env.Single(e => (string?)e!["name"] == "B")!["value"]);
        Assert.Equal(2, (int)deployment["metadata"]!["generation"]!);

        var unchanged = (await kubectl.RunAsync($"apply -n {ns} -f -", manifest.Replace("value: \"1\"", "value: \"2\""))).EnsureSuccess();
        Assert.Contains("unchanged", unchanged.Stdout);
    }

    [Fact]
    public async Task ServerSideApplyCreatesAndUpdatesWithAFieldManager()
    {
        var ns = await NewNamespaceAsync();
        var manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: '1'}\n";
        (await kubectl.RunAsync($"apply --server-side -n {ns} -f -", manifest)).EnsureSuccess();
        (await kubectl.RunAsync($"apply --server-side -n {ns} -f -", manifest.Replace("'1'", "'2'"))).EnsureSuccess();
        var cm = await GetJsonAsync($"get cm ssa -n {ns} --show-managed-fields");
        Assert.Equal("2", (string?)cm["data"]!["a"]);
        Assert.Contains(cm["metadata"]!["managedFields"]!.AsArray(), f => (string?)f!["manager"] == "kubectl" && (string?)f["operation"] == "Apply");
    }

    [Fact]
    public async Task CreateGeneratorsSendProtobufAndItIsUnderstood()
    {
        var ns = "g-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"create configmap gen -n {ns} --from-literal=k=v")).EnsureSuccess();
        (await kubectl.RunAsync($"create deployment gen -n {ns} --image=busybox:1.36 --replicas=3")).EnsureSuccess();
        (await kubectl.RunAsync($"create serviceaccount robot -n {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"create secret generic s -n {ns} --from-literal=password=x")).EnsureSuccess();
        Assert.Equal("v", (await kubectl.RunAsync($"get cm gen -n {ns} -o jsonpath={{.data.k}}")).EnsureSuccess().Stdout);
        Assert.Equal("3 busybox:1.36", (await kubectl.RunAsync($"get deploy gen -n {ns} -o jsonpath='{{.spec.replicas}} {{.spec.template.spec.containers[0].image}}'")).EnsureSuccess().Stdout);
        Assert.Equal("eA==", (await kubectl.RunAsync($"get secret s -n {ns} -o jsonpath={{.data.password}}")).EnsureSuccess().Stdout);
    }

    [Fact]
    public async Task ReplacePutsTheWholeObject()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r}\ndata: {a: '1', b: '2'}\n")).EnsureSuccess();
        (await kubectl.RunAsync($"replace -n {ns} -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r}\ndata: {c: '3'}\n")).EnsureSuccess();
        var cm = await GetJsonAsync($"get cm r -n {ns}");
        Assert.Equal("""{"c":"3"}""", cm["data"]!.ToJsonString());
    }

    [Fact]
    public async Task PatchMergeStrategicAndJson()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
              - {name: a, image: busybox, env: [{name: X, value: "1"}]}
              - {name: b, image: busybox}
            """)).EnsureSuccess();
        (await kubectl.RunAsync($"patch pod p -n {ns} --type merge -p '{{\"metadata\":{{\"labels\":{{\"m\":\"1\"}}}}}}'")).EnsureSuccess();
        (await kubectl.RunAsync($"patch pod p -n {ns} --type strategic -p '{{\"spec\":{{\"containers\":[{{\"name\":\"a\",\"env\":[{{\"name\":\"Y\",\"value\":\"2\"}}]}}]}}}}'")).EnsureSuccess();
        (await kubectl.RunAsync($"patch pod p -n {ns} --type json -p '[{{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{{\"j\":\"1\"}}}}]'")).EnsureSuccess();
        var pod = await GetJsonAsync($"get pod p -n {ns}");
        Assert.Equal("1", (string?)pod["metadata"]!["labels"]!["m"]);
        Assert.Equal("1", (string?)pod["metadata"]!["annotations"]!["j"]);
        var containers = pod["spec"]!["containers"]!.AsArray();
        Assert.Equal(2, containers.Count);
        var env = containers.Single(c => (string?)c!["name"] == "a")!["env"]!.AsArray().Select(e => (string?)e!["name"]).ToList();
        Assert.Contains("X", env);
        Assert.Contains("Y", env);
    }

    [Fact]
    public async Task LabelAnnotateAndSelectors()
    {
        var ns = await NewNamespaceAsync();
        foreach (var (name, tier) in new[] { ("a", "front"), ("b", "back"), ("c", "db") })
        {
            (await kubectl.RunAsync($"create -n {ns} -f -", $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, labels: {{tier: {tier}}}}}\n")).EnsureSuccess();
        }

        (await kubectl.RunAsync($"label cm a -n {ns} extra=yes")).EnsureSuccess();
        (await kubectl.RunAsync($"annotate cm a -n {ns} note=hello")).EnsureSuccess();
        Assert.Equal("configmap/a", (await kubectl.RunAsync($"get cm -n {ns} -l extra=yes -o name")).EnsureSuccess().Stdout.Trim());
        var set = (await kubectl.RunAsync($"get cm -n {ns} -l 'tier in (front,back)' -o name")).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["configmap/a", "configmap/b"], set);
        var notDb = (await kubectl.RunAsync($"get cm -n {ns} -l 'tier!=db,tier' -o name")).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["configmap/a", "configmap/b"], notDb);
        Assert.Equal("configmap/c", (await kubectl.RunAsync($"get cm -n {ns} --field-selector metadata.name=c -o name")).EnsureSuccess().Stdout.Trim());
        Assert.Equal("hello", (await kubectl.RunAsync($"get cm a -n {ns} -o jsonpath={{.metadata.annotations.note}}")).EnsureSuccess().Stdout);
    }

    [Fact]
    public async Task GetPrintsServerSideTablesWideYamlAndChunks()
    {
        var ns = await NewNamespaceAsync();
        for (var i = 0; i < 7; i++)
        {
            (await kubectl.RunAsync($"create -n {ns} -f -", $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm{i}}}\ndata: {{a: '1', b: '2'}}\n")).EnsureSuccess();
        }

        var table = (await kubectl.RunAsync($"get cm -n {ns}")).EnsureSuccess().Stdout;
        Assert.Matches(@"NAME\s+DATA\s+AGE", table);
        Assert.Matches(@"cm0\s+2\s+\d+s", table);
        var chunked = (await kubectl.RunAsync($"get cm -n {ns} --chunk-size=2 -o name")).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"configmap/cm{i}"), chunked);
        var yaml = (await kubectl.RunAsync($"get cm cm0 -n {ns} -o yaml")).EnsureSuccess().Stdout;
        Assert.Contains("kind: ConfigMap", yaml);
        Assert.Contains("resourceVersion:", yaml);
        var all = (await kubectl.RunAsync("get cm -A")).EnsureSuccess().Stdout;
        Assert.Matches($@"{ns}\s+cm3", all);
        var pods = (await kubectl.RunAsync($"get pods -n {ns} -o wide")).EnsureSuccess();
        Assert.Contains("No resources found", pods.Stderr + pods.Stdout);
    }

    [Fact]
    public async Task DeleteByNameLabelAndAll()
    {
        var ns = await NewNamespaceAsync();
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            (await kubectl.RunAsync($"create -n {ns} -f -", $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, labels: {{group: {(name is "b" or "c" ? "bc" : "other")}}}}}\n")).EnsureSuccess();
        }

        (await kubectl.RunAsync($"delete cm a -n {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"delete cm -n {ns} -l group=bc")).EnsureSuccess();
        Assert.Equal("configmap/d", (await kubectl.RunAsync($"get cm -n {ns} -o name")).EnsureSuccess().Stdout.Trim());
        (await kubectl.RunAsync($"delete cm -n {ns} --all")).EnsureSuccess();
        Assert.Equal("", (await kubectl.RunAsync($"get cm -n {ns} -o name")).EnsureSuccess().Stdout.Trim());
    }

    [Fact]
    public async Task ScaleGoesThroughTheScaleSubresource()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: s}
            spec:
              replicas: 1
              selector: {matchLabels: {app: s}}
              template:
                metadata: {labels: {app: s}}
                spec: {containers: [{name: c, image: busybox}]}
            """)).EnsureSuccess();
        (await kubectl.RunAsync($"scale deployment s -n {ns} --replicas=4")).EnsureSuccess();
        Assert.Equal("4", (await kubectl.RunAsync($"get deploy s -n {ns} -o jsonpath={{.spec.replicas}}")).EnsureSuccess().Stdout);
        var scale = (await kubectl.RunAsync($"get --raw /apis/apps/v1/namespaces/{ns}/deployments/s/scale")).EnsureSuccess().Stdout;
        var json = JsonNode.Parse(scale)!;
        Assert.Equal("Scale", (string?)json["kind"]);
        Assert.Equal(4, (int)json["spec"]!["replicas"]!);
        Assert.Equal("app=s", (string?)json["status"]!["selector"]);
    }

    [Fact]
    public async Task DescribeShowsPodsDeploymentsAndServices()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: p, labels: {app: d}}
            spec: {containers: [{name: c, image: busybox, command: [sleep, "1"]}]}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            spec:
              selector: {matchLabels: {app: d}}
              template:
                metadata: {labels: {app: d}}
                spec: {containers: [{name: c, image: busybox}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: svc}
            spec: {selector: {app: d}, ports: [{port: 80, targetPort: 8080}]}
            """)).EnsureSuccess();
        Assert.Contains("Name:", (await kubectl.RunAsync($"describe pod p -n {ns}")).EnsureSuccess().Stdout);
        Assert.Contains("Replicas:", (await kubectl.RunAsync($"describe deployment d -n {ns}")).EnsureSuccess().Stdout);
        var svc = (await kubectl.RunAsync($"describe service svc -n {ns}")).EnsureSuccess().Stdout;
        Assert.Contains("TargetPort:", svc);
        Assert.Contains("8080", svc);
    }

    [Fact]
    public async Task TheHostRegistersItselfAsANodeThatDescribeShows()
    {
        var wide = (await kubectl.RunAsync("get nodes -o wide")).EnsureSuccess().Stdout;
        Assert.Matches(@"NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP", wide);
        Assert.Matches(@"\s+Ready\s+", wide);
        var node = (await kubectl.RunAsync("get nodes -o name")).EnsureSuccess().Stdout.Trim();
        var described = (await kubectl.RunAsync($"describe {node}")).EnsureSuccess().Stdout;
        Assert.Contains("kubernetes.io/hostname=", described);
        Assert.Contains("Capacity:", described);
        Assert.Matches(@"Operating System:\s+linux", described);
    }

    [Fact]
    public async Task ApiResourcesListsTheBuiltInKinds()
    {
        var output = (await kubectl.RunAsync("api-resources")).EnsureSuccess().Stdout;
        foreach (var row in new[] { @"namespaces\s+ns\s+v1\s+false\s+Namespace", @"pods\s+po\s+v1\s+true\s+Pod", @"deployments\s+deploy\s+apps/v1\s+true\s+Deployment", @"replicasets\s+rs\s+apps/v1", @"services\s+svc", @"endpoints\s+ep", @"nodes\s+no", @"configmaps\s+cm", @"events\s+ev" })
        {
            Assert.Matches(row, output);
        }
    }
}
