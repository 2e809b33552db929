using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Tests.Autoscaling;

/// <summary>Quantities written as Kubernetes' <c>Quantity.String()</c> writes them.</summary>
public sealed class QuantityFormatTests
{
    [Theory]
    [InlineData(0L, "0")]
    [InlineData(12_000_000L, "12m")]
    [InlineData(1_500_000_000L, "1500m")]
    [InlineData(2_000_000_000L, "2")]
    [InlineData(123_456_789L, "123456789n")]
    [InlineData(250_000L, "250u")]
    public void Cpu_in_nanocores(long nanos, string expected) => Assert.Equal(expected, QuantityFormat.FromNano(nanos));

    [Theory]
    [InlineData(250L, "250m")]
    [InlineData(1500L, "1500m")]
    [InlineData(2000L, "2")]
    [InlineData(52_428_800_000L, "52428800")]
    [InlineData(3_000_000L, "3k")]
    public void Milli_values(long milli, string expected) => Assert.Equal(expected, QuantityFormat.FromMilli(milli));

    [Theory]
    [InlineData(3_538_944L, "3456Ki")]
    [InlineData(1_048_576L, "1Mi")]
    [InlineData(1536L, "1536")]
    [InlineData(1000L, "1k")]
    [InlineData(512L, "512")]
    public void Memory_in_bytes(long bytes, string expected) => Assert.Equal(expected, QuantityFormat.Bytes(bytes));
}
