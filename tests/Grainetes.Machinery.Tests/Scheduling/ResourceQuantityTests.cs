using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;

namespace Grainetes.Machinery.Tests.Scheduling;

public sealed class ResourceQuantityTests
{
    [Theory]
    [InlineData("100m", 100)]
    [InlineData("1", 1000)]
    [InlineData("0.5", 500)]
    [InlineData("2.25", 2250)]
    [InlineData("1500m", 1500)]
    [InlineData("250000u", 250)]
    [InlineData("1n", 1)] // rounded up, as Kubernetes' MilliValue
    [InlineData("1e3", 1_000_000)]
    public void CpuIsReadInMillicores(string text, long expected) =>
        Assert.Equal(expected, ResourceQuantity.ToMilli(JsonValue.Create(text)));

    [Theory]
    [InlineData("64Mi", 64L * 1024 * 1024)]
    [InlineData("1Gi", 1024L * 1024 * 1024)]
    [InlineData("128974848", 128974848L)]
    [InlineData("129e6", 129_000_000L)]
    [InlineData("129M", 129_000_000L)]
    [InlineData("1e3", 1000L)]
    [InlineData("1E3", 1000L)]
    [InlineData("1k", 1000L)]
    [InlineData("1Ki", 1024L)]
    [InlineData("1.5Gi", 1536L * 1024 * 1024)]
    [InlineData("1Ti", 1024L * 1024 * 1024 * 1024)]
    [InlineData("500m", 1L)] // half a byte rounds up
    public void MemoryIsReadInBytes(string text, long expected) =>
        Assert.Equal(expected, ResourceQuantity.ToUnits(JsonValue.Create(text)));

    [Fact]
    public void ABareJsonNumberIsAccepted() => Assert.Equal(2000, ResourceQuantity.ToMilli(JsonValue.Create(2)));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1Xi")]
    [InlineData("1.2.3")]
    [InlineData("Mi")]
    [InlineData("1e")]
    public void MalformedQuantitiesAreRejected(string text)
    {
        Assert.False(ResourceQuantity.TryParse(text, out _));
        Assert.Null(ResourceQuantity.ToUnits(JsonValue.Create(text)));
    }
}
