using System.CommandLine;
using Grainetes.Host.Cli;

namespace Grainetes.Tests.Telemetry;

/// <summary><c>grainetes up</c> exports to the console unless told not to.</summary>
public sealed class UpCommandTelemetryTests
{
    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "--otel-console" }, true)]
    [InlineData(new[] { "--otel-console", "false" }, false)]
    [InlineData(new[] { "--otel-console=false" }, false)]
    public void OtelConsoleIsOnByDefault(string[] flags, bool expected)
    {
        var root = new RootCommand { UpCommand.Create() };
        var result = root.Parse(["up", .. flags]);
        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetValue<bool>("--otel-console"));
    }
}
