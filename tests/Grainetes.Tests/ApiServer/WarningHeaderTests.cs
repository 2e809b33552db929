using Grainetes.ApiServer.Http;

namespace Grainetes.Tests.ApiServer;

public sealed class WarningHeaderTests
{
    [Theory]
    [InlineData("unknown field \"spec.x\"", "299 - \"unknown field \\\"spec.x\\\"\"")]
    [InlineData("a\nb", "299 - \"a\\\\u000ab\"")]
    [InlineData("é\\", "299 - \"\\\\u00e9\\\\\"")]
    public void TextFromTheRequestIsQuotedAndEscapedToPrintableAscii(string text, string expected) =>
        Assert.Equal(expected, WarningHeader.Format(text));

    [Fact]
    public void EveryFormattedValueIsAValidKestrelHeaderValue()
    {
        var hostile = new string(Enumerable.Range(0, 600).Select(i => (char)(i * 7 % 0x3000)).ToArray());
        var value = WarningHeader.Format(hostile);
        Assert.All(value, c => Assert.InRange(c, ' ', '~'));
        Assert.True(value.Length < 2 * WarningHeader.MaxTextLength * 6);
        Assert.EndsWith("...\"", value);
    }
}
