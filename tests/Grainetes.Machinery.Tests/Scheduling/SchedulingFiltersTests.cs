using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;
using static Grainetes.Machinery.Tests.Scheduling.SchedulingTestObjects;

namespace Grainetes.Machinery.Tests.Scheduling;

public sealed class SchedulingFiltersTests
{
    [Fact]
    public void AnUnschedulableNodeTakesOnlyPodsToleratingIt()
    {
        var node = Node("n", unschedulable: true);
        Assert.Equal(FilterReasons.Unschedulable, SchedulingFilters.NodeUnschedulable(Pod("p"), node));
        var tolerant = Pod("p", spec: s => Tolerate(s, Taint.UnschedulableKey, "Exists", "", Taint.NoSchedule));
        Assert.Null(SchedulingFilters.NodeUnschedulable(tolerant, node));
        Assert.Null(SchedulingFilters.NodeUnschedulable(Pod("p"), Node("m")));
    }

    [Theory]
    [InlineData("False")]
    [InlineData("Unknown")]
    public void ANodeNotReadyRepelsPodsLikeItsTaint(string ready)
    {
        var node = Node("n", ready: ready);
        var key = ready == "False" ? Taint.NotReadyKey : Taint.UnreachableKey;
        Assert.Equal($"node(s) had untolerated taint {{{key}: }}", SchedulingFilters.TaintToleration(Pod("p"), node));
        var tolerant = Pod("p", spec: s => Tolerate(s, key, "Exists", "", ""));
        Assert.Null(SchedulingFilters.TaintToleration(tolerant, node));
    }

    [Theory]
    [InlineData(Taint.NotReadyKey, Taint.NoExecute)]
    [InlineData(Taint.UnreachableKey, Taint.NoSchedule)]
    public void LifecycleTaintsOnAReadyNodeStillRepel(string key, string effect)
    {
        var node = Node("n", taints: Taints(key, "", effect));
        Assert.Equal($"node(s) had untolerated taint {{{key}: }}", SchedulingFilters.TaintToleration(Pod("p"), node));
    }

    [Theory]
    [InlineData("dedicated", "Equal", "gpu", "NoSchedule", true)]
    [InlineData("dedicated", "Equal", "gpu", "", true)]
    [InlineData("dedicated", "Exists", "", "NoSchedule", true)]
    [InlineData("", "Exists", "", "", true)]
    [InlineData("dedicated", "Equal", "cpu", "NoSchedule", false)]
    [InlineData("dedicated", "Equal", "gpu", "NoExecute", false)]
    [InlineData("other", "Exists", "", "", false)]
    public void TolerationsMatchTaintsByKeyOperatorValueAndEffect(string key, string op, string value, string effect, bool tolerated)
    {
        var node = Node("n", taints: Taints("dedicated", "gpu", Taint.NoSchedule));
        var pod = Pod("p", spec: s => Tolerate(s, key, op, value, effect));
        Assert.Equal(tolerated ? null : "node(s) had untolerated taint {dedicated: gpu}", SchedulingFilters.TaintToleration(pod, node));
    }

    [Fact]
    public void PreferNoScheduleTaintsDoNotFilter() =>
        Assert.Null(SchedulingFilters.TaintToleration(Pod("p"), Node("n", taints: Taints("soft", "x", Taint.PreferNoSchedule))));

    [Fact]
    public void NoExecuteTaintsFilter() =>
        Assert.NotNull(SchedulingFilters.TaintToleration(Pod("p"), Node("n", taints: Taints("hard", "x", Taint.NoExecute))));

    [Fact]
    public void ResourcesMustFitWhatIsLeftAndEveryShortfallIsAReason()
    {
        var node = Node("n", cpu: "1", memory: "1Gi", pods: "2");
        node.AddPod(Pod("a", cpu: "600m", memory: "512Mi"));
        var reasons = new List<string>();
        Assert.True(SchedulingFilters.NodeResourcesFit(Pod("b", cpu: "400m", memory: "512Mi"), node, reasons));
        Assert.Empty(reasons);

        Assert.False(SchedulingFilters.NodeResourcesFit(Pod("c", cpu: "401m", memory: "513Mi"), node, reasons));
        Assert.Equal([FilterReasons.InsufficientCpu, FilterReasons.InsufficientMemory], reasons);

        node.AddPod(Pod("d", cpu: null, memory: null));
        reasons.Clear();
        Assert.False(SchedulingFilters.NodeResourcesFit(Pod("e", cpu: null, memory: null), node, reasons));
        Assert.Equal([FilterReasons.TooManyPods], reasons);
    }

    [Fact]
    public void RequestlessPodsFitAnyNodeWithPodRoom()
    {
        var node = Node("n", cpu: "0", memory: "0");
        Assert.True(SchedulingFilters.NodeResourcesFit(Pod("p", cpu: null, memory: null), node, []));
    }

    [Fact]
    public void NodeSelectorNeedsEveryLabel()
    {
        var node = Node("n", labels: new JsonObject { ["disk"] = "ssd", ["zone"] = "a" });
        Assert.Null(SchedulingFilters.NodeAffinity(Pod("p", spec: s => s["nodeSelector"] = new JsonObject { ["disk"] = "ssd", ["zone"] = "a" }), node));
        Assert.Equal(FilterReasons.NodeAffinity, SchedulingFilters.NodeAffinity(Pod("p", spec: s => s["nodeSelector"] = new JsonObject { ["disk"] = "ssd", ["zone"] = "b" }), node));
        Assert.Equal(FilterReasons.NodeAffinity, SchedulingFilters.NodeAffinity(Pod("p", spec: s => s["nodeSelector"] = new JsonObject { ["gpu"] = "yes" }), node));
    }

    [Theory]
    [InlineData("""{"key":"zone","operator":"In","values":["a","b"]}""", true)]
    [InlineData("""{"key":"zone","operator":"In","values":["c"]}""", false)]
    [InlineData("""{"key":"zone","operator":"NotIn","values":["c"]}""", true)]
    [InlineData("""{"key":"missing","operator":"NotIn","values":["c"]}""", true)]
    [InlineData("""{"key":"zone","operator":"NotIn","values":["a"]}""", false)]
    [InlineData("""{"key":"zone","operator":"Exists"}""", true)]
    [InlineData("""{"key":"missing","operator":"Exists"}""", false)]
    [InlineData("""{"key":"missing","operator":"DoesNotExist"}""", true)]
    [InlineData("""{"key":"zone","operator":"DoesNotExist"}""", false)]
    [InlineData("""{"key":"cores","operator":"Gt","values":["7"]}""", true)]
    [InlineData("""{"key":"cores","operator":"Gt","values":["8"]}""", false)]
    [InlineData("""{"key":"cores","operator":"Lt","values":["9"]}""", true)]
    [InlineData("""{"key":"cores","operator":"Lt","values":["8"]}""", false)]
    [InlineData("""{"key":"zone","operator":"Gt","values":["1"]}""", false)]
    public void RequiredAffinityExpressions(string expression, bool matches)
    {
        var node = Node("n", labels: new JsonObject { ["zone"] = "a", ["cores"] = "8" });
        var pod = Pod("p", spec: s => s["affinity"] = JsonNode.Parse(
            """{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[EXPR]}]}}}""".Replace("EXPR", expression, StringComparison.Ordinal)));
        Assert.Equal(matches ? null : FilterReasons.NodeAffinity, SchedulingFilters.NodeAffinity(pod, node));
    }

    [Fact]
    public void AffinityTermsAreOredAndMatchFieldsNamesTheNode()
    {
        var pod = Pod("p", spec: s => s["affinity"] = JsonNode.Parse("""
            {"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
              {"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]},
              {"matchExpressions":[{"key":"zone","operator":"In","values":["b"]}]}]}}}
            """));
        Assert.Null(SchedulingFilters.NodeAffinity(pod, Node("n1")));
        Assert.Null(SchedulingFilters.NodeAffinity(pod, Node("n2", labels: new JsonObject { ["zone"] = "b" })));
        Assert.Equal(FilterReasons.NodeAffinity, SchedulingFilters.NodeAffinity(pod, Node("n3", labels: new JsonObject { ["zone"] = "a" })));
    }

    [Fact]
    public void AnEmptyTermMatchesNothing()
    {
        var pod = Pod("p", spec: s => s["affinity"] = JsonNode.Parse("""{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{}]}}}"""));
        Assert.Equal(FilterReasons.NodeAffinity, SchedulingFilters.NodeAffinity(pod, Node("n")));
    }

    [Fact]
    public void RunStopsAtTheFirstFailingPlugin()
    {
        var node = Node("n", cpu: "100m", unschedulable: true);
        var reasons = new List<string>();
        Assert.False(SchedulingFilters.Run(Pod("p", cpu: "1"), node, reasons));
        Assert.Equal([FilterReasons.Unschedulable], reasons);
    }
}
