using System.Text.Json.Nodes;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Tests.Printing;

/// <summary>The rows kubectl shows for daemon sets, jobs and cron jobs.</summary>
public sealed class WorkloadPrinterTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TablePrinter printer = new();

    private JsonArray Cells(string storageKey, string json) =>
        printer.ToTable(ResourceRegistry.BuiltIn.Get(storageKey), [JsonNode.Parse(json)!.AsObject()], null, null, "Metadata", Now)["rows"]![0]!["cells"]!.AsArray();

    private string[] ColumnNames(string storageKey) =>
        printer.ToTable(ResourceRegistry.BuiltIn.Get(storageKey), [], null, null, null, Now)["columnDefinitions"]!.AsArray()
            .Select(c => c!["name"]!.GetValue<string>()).ToArray();

    [Fact]
    public void The_new_kinds_are_served_with_kubectl_names()
    {
        var ds = ResourceRegistry.BuiltIn.Find("apps", "v1", "daemonsets")!;
        Assert.Equal(["ds"], ds.ShortNames);
        Assert.True(ds.HasStatus && ds.TracksGeneration);
        var job = ResourceRegistry.BuiltIn.Find("batch", "v1", "jobs")!;
        Assert.Equal("Job", job.Kind);
        Assert.True(job.HasStatus && job.TracksGeneration);
        Assert.Equal(["cj"], ResourceRegistry.BuiltIn.Find("batch", "v1", "cronjobs")!.ShortNames);
    }

    [Fact]
    public void DaemonSet_row_shows_counts_and_node_selector()
    {
        Assert.Equal(["Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age", "Containers", "Images", "Selector"], ColumnNames("daemonsets.apps"));
        var cells = Cells("daemonsets.apps", """
            {"metadata":{"name":"agent","creationTimestamp":"2025-01-01T11:58:00Z"},
             "spec":{"selector":{"matchLabels":{"app":"agent"}},"template":{"spec":{"nodeSelector":{"pool":"a"},"containers":[{"name":"c","image":"busybox"}]}}},
             "status":{"desiredNumberScheduled":3,"currentNumberScheduled":3,"numberReady":2,"updatedNumberScheduled":1,"numberAvailable":2}}
            """);
        Assert.Equal("""["agent",3,3,2,1,2,"pool=a","2m","c","busybox","app=agent"]""", cells.ToJsonString());
    }

    [Fact]
    public void Job_row_shows_status_completions_and_duration()
    {
        Assert.Equal(["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"], ColumnNames("jobs.batch"));
        var complete = Cells("jobs.batch", """
            {"metadata":{"name":"pi","creationTimestamp":"2025-01-01T11:50:00Z"},"spec":{"completions":3,"template":{"spec":{"containers":[{"name":"pi","image":"perl"}]}}},
             "status":{"succeeded":3,"startTime":"2025-01-01T11:50:00Z","completionTime":"2025-01-01T11:50:42Z","conditions":[{"type":"Complete","status":"True"}]}}
            """);
        Assert.Equal("pi", complete[0]!.GetValue<string>());
        Assert.Equal("Complete", complete[1]!.GetValue<string>());
        Assert.Equal("3/3", complete[2]!.GetValue<string>());
        Assert.Equal("42s", complete[3]!.GetValue<string>());

        var running = Cells("jobs.batch", """
            {"metadata":{"name":"q","creationTimestamp":"2025-01-01T11:59:00Z"},"spec":{"parallelism":2},"status":{"succeeded":1,"startTime":"2025-01-01T11:59:00Z"}}
            """);
        Assert.Equal("Running", running[1]!.GetValue<string>());
        Assert.Equal("1/1 of 2", running[2]!.GetValue<string>());
        Assert.Equal("60s", running[3]!.GetValue<string>());
    }

    [Fact]
    public void CronJob_row_shows_schedule_suspend_active_and_last_schedule()
    {
        Assert.Equal(["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers", "Images", "Selector"], ColumnNames("cronjobs.batch"));
        var cells = Cells("cronjobs.batch", """
            {"metadata":{"name":"tick","creationTimestamp":"2025-01-01T11:00:00Z"},
             "spec":{"schedule":"*/5 * * * *","suspend":false,"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"t","image":"busybox"}]}}}}},
             "status":{"active":[{"name":"tick-1"}],"lastScheduleTime":"2025-01-01T11:55:00Z"}}
            """);
        Assert.Equal("""["tick","*/5 * * * *","\u003Cnone\u003E","False",1,"5m","60m","t","busybox",""]""", cells.ToJsonString());
    }
}
