using Grainetes.Machinery.Printing;

namespace Grainetes.Machinery.Tests.Printing;

public sealed class HumanDurationTests
{
    [Theory]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(200, "3m20s")]
    [InlineData(300, "5m")]
    [InlineData(3600, "60m")]
    [InlineData(4 * 3600 + 30 * 60, "4h30m")]
    [InlineData(20 * 3600, "20h")]
    [InlineData(51 * 3600, "2d3h")]
    [InlineData(30 * 86400, "30d")]
    [InlineData(3 * 365 * 86400 + 10 * 86400, "3y10d")]
    [InlineData(10 * 365 * 86400, "10y")]
    [InlineData(-1, "0s")]
    [InlineData(-5, "<invalid>")]
    public void Format_matches_kubernetes_rounding(int seconds, string expected) =>
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Since_without_timestamp_is_unknown() =>
        Assert.Equal("<unknown>", HumanDuration.Since(null, DateTimeOffset.UtcNow));
}
