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
