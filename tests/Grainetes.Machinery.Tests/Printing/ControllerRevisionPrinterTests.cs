using System.Text.Json.Nodes;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Tests.Printing;

/// <summary>The rows kubectl shows for controller revisions.</summary>
public sealed class ControllerRevisionPrinterTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TablePrinter printer = new();

    [Fact]
    public void A_revision_shows_its_controller_as_kind_group_and_name_and_its_number()
    {
        var type = ResourceRegistry.BuiltIn.Find("apps", "v1", "controllerrevisions")!;
        Assert.Equal("ControllerRevision", type.Kind);
        Assert.False(type.HasStatus);
        Assert.DoesNotContain("all", type.Categories);

        var owned = JsonNode.Parse("""
            {"metadata":{"name":"agent-7d9f","creationTimestamp":"2025-01-01T11:55:00Z",
              "ownerReferences":[{"apiVersion":"apps/v1","kind":"DaemonSet","name":"agent","uid":"u","controller":true}]},
             "data":{"spec":{"template":{"$patch":"replace"}}},"revision":3}
            """)!.AsObject();
        var orphan = JsonNode.Parse("""{"metadata":{"name":"loose","creationTimestamp":"2025-01-01T11:00:00Z"},"data":{},"revision":1}""")!.AsObject();
        var table = printer.ToTable(type, [owned, orphan], null, null, "Metadata", Now);
        Assert.Equal(["Name", "Controller", "Revision", "Age"], table["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal("""["agent-7d9f","daemonset.apps/agent",3,"5m"]""", table["rows"]![0]!["cells"]!.ToJsonString());
        var cells = table["rows"]![1]!["cells"]!.AsArray();
        Assert.Equal("loose", (string?)cells[0]);
        Assert.Equal("<none>", (string?)cells[1]);
        Assert.Equal(1, (long)cells[2]!);
        Assert.Equal("60m", (string?)cells[3]);
    }
}
