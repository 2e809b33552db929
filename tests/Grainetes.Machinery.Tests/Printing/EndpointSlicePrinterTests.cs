using System.Text.Json.Nodes;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Tests.Printing;

public sealed class EndpointSlicePrinterTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TablePrinter printer = new();

    private static ResourceType Type => ResourceRegistry.BuiltIn.Get("endpointslices.discovery.k8s.io");

    private JsonArray Cells(string json) =>
        printer.ToTable(Type, [JsonNode.Parse(json)!.AsObject()], null, null, "Metadata", Now)["rows"]![0]!["cells"]!.AsArray();

    [Fact]
    public void Columns_are_kubectls()
    {
        var names = printer.ToTable(Type, [], null, null, null, Now)["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>());
        Assert.Equal(["Name", "AddressType", "Ports", "Endpoints", "Age"], names);
    }

    [Fact]
    public void Ports_and_endpoints_are_listed_and_capped_at_three()
    {
        var cells = Cells("""
            {"metadata":{"name":"web-abcde","creationTimestamp":"2025-01-01T11:59:00Z"},"addressType":"IPv4",
             "ports":[{"port":80},{"port":443}],
             "endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2"]},{"addresses":["10.0.0.3"]},{"addresses":["10.0.0.4"]}]}
            """);
        Assert.Equal("web-abcde", cells[0]!.GetValue<string>());
        Assert.Equal("IPv4", cells[1]!.GetValue<string>());
        Assert.Equal("80,443", cells[2]!.GetValue<string>());
        Assert.Equal("10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...", cells[3]!.GetValue<string>());
        Assert.Equal("60s", cells[4]!.GetValue<string>());
    }

    [Fact]
    public void An_empty_slice_shows_unset()
    {
        var cells = Cells("""{"metadata":{"name":"web-abcde"},"addressType":"IPv4","endpoints":[]}""");
        Assert.Equal("<unset>", cells[2]!.GetValue<string>());
        Assert.Equal("<unset>", cells[3]!.GetValue<string>());
    }
}
