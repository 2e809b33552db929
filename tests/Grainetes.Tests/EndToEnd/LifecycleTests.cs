using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>Object lifecycle through kubectl: namespaces, owners, finalizers, generated names.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LifecycleTests(ClusterFixture cluster)
{
    private readonly Kubectl kubectl = cluster.Kubectl;

    private async Task<string> NewNamespaceAsync()
    {
        var ns = "l-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync("create -f -", $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")).EnsureSuccess();
        return ns;
    }

    [Fact]
    public async Task ObjectsNeedAnExistingNamespace()
    {
        var result = await kubectl.RunAsync("create -n does-not-exist -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("namespaces \"does-not-exist\" not found", result.Stderr);
    }

    [Fact]
    public async Task NewNamespacesGetADefaultServiceAccount()
    {
        var ns = await NewNamespaceAsync();
        await Poll.UntilAsync(() => kubectl.RunAsync($"get serviceaccount default -n {ns} -o name"), r => r.ExitCode == 0, what: "default service account");
    }

    [Fact]
    public async Task DeletingANamespaceDeletesWhatIsInIt()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inside}\n")).EnsureSuccess();
        (await kubectl.RunAsync($"delete namespace {ns} --timeout=60s")).EnsureSuccess();
        var gone = await kubectl.RunAsync($"get namespace {ns}");
        Assert.Contains("NotFound", gone.Stderr);
        var list = (await kubectl.RunAsync($"get cm -A --field-selector metadata.namespace={ns} -o name")).EnsureSuccess();
        Assert.Equal("", list.Stdout.Trim());
    }

    [Fact]
    public async Task DeletingAnOwnerDeletesItsDependentsInTheBackground()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owner}\n")).EnsureSuccess();
        var uid = (await kubectl.RunAsync($"get cm owner -n {ns} -o jsonpath={{.metadata.uid}}")).EnsureSuccess().Stdout;
        (await kubectl.RunAsync($"create -n {ns} -f -", $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n  ownerReferences: [{{apiVersion: v1, kind: ConfigMap, name: owner, uid: {uid}}}]\n")).EnsureSuccess();
        (await kubectl.RunAsync($"create -n {ns} -f -", $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orphan-child\n  ownerReferences: [{{apiVersion: v1, kind: ConfigMap, name: owner, uid: {uid}}}]\n")).EnsureSuccess();
        (await kubectl.RunAsync($"delete cm owner -n {ns}")).EnsureSuccess();
        await Poll.UntilAsync(() => kubectl.RunAsync($"get cm -n {ns} -o name"), r => r.Stdout.Trim().Length == 0, what: "dependents collected");
    }

    [Fact]
    public async Task OrphanPropagationKeepsDependentsAndStripsTheirOwnerReference()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owner}\n")).EnsureSuccess();
        var uid = (await kubectl.RunAsync($"get cm owner -n {ns} -o jsonpath={{.metadata.uid}}")).EnsureSuccess().Stdout;
        (await kubectl.RunAsync($"create -n {ns} -f -", $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n  ownerReferences: [{{apiVersion: v1, kind: ConfigMap, name: owner, uid: {uid}}}]\n")).EnsureSuccess();
        (await kubectl.RunAsync($"delete cm owner -n {ns} --cascade=orphan")).EnsureSuccess();
        await Poll.UntilAsync(() => kubectl.RunAsync($"get cm -n {ns} -o name"), r => r.Stdout.Trim() == "configmap/child", what: "owner gone, child kept");
        var owners = (await kubectl.RunAsync($"get cm child -n {ns} -o jsonpath={{.metadata.ownerReferences}}")).EnsureSuccess().Stdout;
        Assert.Equal("", owners.Trim());
    }

    [Fact]
    public async Task ForegroundPropagationRemovesDependentsBeforeTheOwner()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owner}\n")).EnsureSuccess();
        var uid = (await kubectl.RunAsync($"get cm owner -n {ns} -o jsonpath={{.metadata.uid}}")).EnsureSuccess().Stdout;
        (await kubectl.RunAsync($"create -n {ns} -f -", $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n  ownerReferences: [{{apiVersion: v1, kind: ConfigMap, name: owner, uid: {uid}, blockOwnerDeletion: true}}]\n")).EnsureSuccess();
        using var watch = kubectl.Start($"get cm -n {ns} -w --output-watch-events");
        var lines = new List<string>();
        // The initial list (header, owner, child) is printed before the watch: after it, no change is missed.
        for (var i = 0; i < 3; i++)
        {
            lines.Add(await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? "");
        }

        (await kubectl.RunAsync($"delete cm owner -n {ns} --cascade=foreground --timeout=60s")).EnsureSuccess();
        while (!lines.Any(l => l.StartsWith("DELETED", StringComparison.Ordinal) && l.Contains(" owner ", StringComparison.Ordinal)))
        {
            var line = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            lines.Add(line ?? throw new InvalidOperationException("watch ended"));
        }

        watch.Kill();
        var childDeleted = lines.FindIndex(l => l.StartsWith("DELETED", StringComparison.Ordinal) && l.Contains(" child ", StringComparison.Ordinal));
        var ownerDeleted = lines.FindIndex(l => l.StartsWith("DELETED", StringComparison.Ordinal) && l.Contains(" owner ", StringComparison.Ordinal));
        Assert.True(childDeleted >= 0 && childDeleted < ownerDeleted, string.Join("\n", lines));
    }

    [Fact]
    public async Task GetWatchPrintsChangesAsTheyHappen()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sentinel}\n")).EnsureSuccess();
        using var watch = kubectl.Start($"get cm -n {ns} -w --output-watch-events");
        var header = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var listed = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {a: '1'}\n")).EnsureSuccess();
        (await kubectl.RunAsync($"label cm watched -n {ns} x=y")).EnsureSuccess();
        (await kubectl.RunAsync($"delete cm watched -n {ns}")).EnsureSuccess();
        var events = new List<string>();
        while (events.Count < 3)
        {
            var line = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            events.Add(line ?? throw new InvalidOperationException("watch ended"));
        }

        watch.Kill();
        Assert.Matches(@"EVENT\s+NAME\s+DATA\s+AGE", header);
        Assert.Matches(@"^ADDED\s+sentinel\s+0\s+", listed);
        Assert.Matches(@"^ADDED\s+watched\s+1\s+", events[0]);
        Assert.Matches(@"^MODIFIED\s+watched\s+1\s+", events[1]);
        Assert.Matches(@"^DELETED\s+watched\s+1\s+", events[2]);
    }

    [Fact]
    public async Task PodFieldSelectorsOnNodeNameAndPhase()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: Pod\nmetadata: {name: unscheduled}\nspec: {schedulerName: nobody, containers: [{name: c, image: busybox}]}\n")).EnsureSuccess();
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: Pod\nmetadata: {name: placed}\nspec: {nodeName: elsewhere, containers: [{name: c, image: busybox}]}\n")).EnsureSuccess();
        Assert.Equal("pod/unscheduled", (await kubectl.RunAsync($"get pods -n {ns} --field-selector spec.nodeName= -o name")).EnsureSuccess().Stdout.Trim());
        Assert.Equal("pod/placed", (await kubectl.RunAsync($"get pods -n {ns} --field-selector spec.nodeName=elsewhere,status.phase=Pending -o name")).EnsureSuccess().Stdout.Trim());
        Assert.Equal("", (await kubectl.RunAsync($"get pods -n {ns} --field-selector status.phase!=Pending -o name")).EnsureSuccess().Stdout.Trim());
    }

    [Fact]
    public async Task FinalizersHoldADeletionUntilTheyAreRemoved()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create -n {ns} -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [example.com/hold]}\n")).EnsureSuccess();
        (await kubectl.RunAsync($"delete cm held -n {ns} --wait=false")).EnsureSuccess();
        var held = JsonNode.Parse((await kubectl.RunAsync($"get cm held -n {ns} -o json")).EnsureSuccess().Stdout)!;
        Assert.NotNull(held["metadata"]!["deletionTimestamp"]);
        (await kubectl.RunAsync($"patch cm held -n {ns} --type merge -p '{{\"metadata\":{{\"finalizers\":null}}}}'")).EnsureSuccess();
        await Poll.UntilAsync(() => kubectl.RunAsync($"get cm held -n {ns}"), r => r.Stderr.Contains("NotFound"), what: "finalized object removed");
    }

    [Fact]
    public async Task GenerateNameMakesAUniqueName()
    {
        var ns = await NewNamespaceAsync();
        var first = (await kubectl.RunAsync($"create -n {ns} -o name -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: gen-}\n")).EnsureSuccess().Stdout.Trim();
        var second = (await kubectl.RunAsync($"create -n {ns} -o name -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: gen-}\n")).EnsureSuccess().Stdout.Trim();
        Assert.StartsWith("configmap/gen-", first);
        Assert.StartsWith("configmap/gen-", second);
        Assert.NotEqual(first, second);
        Assert.Equal("configmap/gen-".Length + 5, first.Length);
    }

    [Fact]
    public async Task ObjectsCarryUidCreationTimestampAndVersions()
    {
        var ns = await NewNamespaceAsync();
        var created = JsonNode.Parse((await kubectl.RunAsync($"create -n {ns} -o json -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: meta}\n")).EnsureSuccess().Stdout)!;
        var meta = created["metadata"]!;
        Assert.True(Guid.TryParse((string?)meta["uid"], out _));
        Assert.True(DateTimeOffset.TryParse((string?)meta["creationTimestamp"], out _));
        var rv1 = long.Parse((string)meta["resourceVersion"]!);
        (await kubectl.RunAsync($"label cm meta -n {ns} a=b")).EnsureSuccess();
        var rv2 = long.Parse((await kubectl.RunAsync($"get cm meta -n {ns} -o jsonpath={{.metadata.resourceVersion}}")).EnsureSuccess().Stdout);
        Assert.True(rv2 > rv1);
    }
}
