using System.Text.Json.Nodes;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Tests.Admission;

public sealed class PolicyPrintingTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static JsonArray Row(string storageKey, string json, out string[] columns)
    {
        var table = new TablePrinter().ToTable(ResourceRegistry.BuiltIn.Get(storageKey), [JsonNode.Parse(json)!.AsObject()], null, null, null, Now);
        columns = table["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!).ToArray();
        return table["rows"]![0]!["cells"]!.AsArray();
    }

    [Fact]
    public void Quota_rows_show_used_over_hard_with_limits_apart()
    {
        var cells = Row("resourcequotas", """
            {"metadata":{"name":"compute","creationTimestamp":"2025-01-01T11:59:00Z"},
             "spec":{"hard":{"pods":"4","limits.cpu":"2","requests.cpu":"1"}},
             "status":{"hard":{"pods":"4","limits.cpu":"2","requests.cpu":"1"},"used":{"pods":"1","limits.cpu":"500m","requests.cpu":"250m"}}}
            """, out var columns);
        Assert.Equal(["Name", "Age", "Request", "Limit"], columns);
        Assert.Equal("compute", (string?)cells[0]);
        Assert.Equal("pods: 1/4, requests.cpu: 250m/1", (string?)cells[2]);
        Assert.Equal("limits.cpu: 500m/2", (string?)cells[3]);
    }

    [Fact]
    public void Limit_range_rows_show_when_they_were_created()
    {
        var cells = Row("limitranges", """{"metadata":{"name":"bounds","creationTimestamp":"2025-01-01T11:00:00Z"},"spec":{"limits":[]}}""", out var columns);
        Assert.Equal(["Name", "Created At"], columns);
        Assert.Equal("2025-01-01T11:00:00Z", (string?)cells[1]);
    }

    [Fact]
    public void Both_kinds_are_served_with_kubectl_short_names()
    {
        Assert.Contains("quota", ResourceRegistry.BuiltIn.Get("resourcequotas").ShortNames);
        Assert.Contains("limits", ResourceRegistry.BuiltIn.Get("limitranges").ShortNames);
        Assert.True(ResourceRegistry.BuiltIn.Get("resourcequotas").HasStatus);
    }

    [Fact]
    public void Quota_and_limit_range_amounts_must_be_quantities()
    {
        var validator = new Grainetes.Machinery.Validation.ObjectValidator();
        var quota = JsonNode.Parse("""{"metadata":{"name":"q","namespace":"d"},"spec":{"hard":{"pods":"lots","cpu":"-1"}}}""")!.AsObject();
        var causes = validator.Collect(ResourceRegistry.BuiltIn.Get("resourcequotas"), quota);
        Assert.Contains(causes, c => c.Field == "spec.hard[pods]");
        Assert.Contains(causes, c => c.Field == "spec.hard[cpu]" && c.Message.Contains("greater than or equal to 0"));
        var range = JsonNode.Parse("""{"metadata":{"name":"r","namespace":"d"},"spec":{"limits":[{"type":"Node","min":{"cpu":"2"},"max":{"cpu":"1"}}]}}""")!.AsObject();
        var rangeCauses = validator.Collect(ResourceRegistry.BuiltIn.Get("limitranges"), range);
        Assert.Contains(rangeCauses, c => c.Field == "spec.limits[0].type");
        Assert.Contains(rangeCauses, c => c.Field == "spec.limits[0].min[cpu]");
    }
}
