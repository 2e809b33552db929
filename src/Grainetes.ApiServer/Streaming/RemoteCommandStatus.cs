using System.Globalization;
using System.Text.Json.Nodes;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// The <c>Status</c> a kubelet writes on the error channel when an exec or attach ends: success, a non-zero exit
/// code (reason <c>NonZeroExitCode</c> with an <c>ExitCode</c> cause, which kubectl turns into its own exit code),
/// or a failure message.
/// </summary>
public static class RemoteCommandStatus
{
    public static JsonObject Success() => new()
    {
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
    };

    public static JsonObject ExitCode(int code, IReadOnlyList<string> command) => new()
    {
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(" ", command)}], exit code {code.ToString(CultureInfo.InvariantCulture)}",
        ["reason"] = "NonZeroExitCode",
        ["details"] = new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject
            {
                ["reason"] = "ExitCode",
                ["message"] = code.ToString(CultureInfo.InvariantCulture),
            }),
        },
    };

    public static JsonObject Failure(string message) => new()
    {
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = "InternalError",
        ["code"] = 500,
        ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = message }) },
    };

    /// <summary>What an ended command reports: success for 0 or an unknown code (attach), else the exit code.</summary>
    public static JsonObject ForExit(int? code, IReadOnlyList<string> command) =>
        code is null or 0 ? Success() : ExitCode(code.Value, command);
}
