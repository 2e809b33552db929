using System.Text.Json.Nodes;
using Grainetes.Abstractions.Streaming;
using Grainetes.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// The query of <c>pods/exec</c> and <c>pods/attach</c> (<c>PodExecOptions</c>, <c>PodAttachOptions</c>):
/// <c>command</c> (repeated), <c>container</c>, <c>stdin</c>, <c>stdout</c>, <c>stderr</c>, <c>tty</c>, checked
/// against the pod as the API server checks them.
/// </summary>
public static class RemoteCommandRequest
{
    public static ContainerStreamRequest Parse(IQueryCollection query, JsonObject pod, bool exec)
    {
        var podName = (string?)pod["metadata"]?["name"] ?? "";
        var names = Names(pod, "containers");
        var container = (string?)query["container"];
        if (string.IsNullOrEmpty(container))
        {
            container = names.Count == 1 ? names[0] : throw ApiException.BadRequest(
                $"a container name must be specified for pod {podName}, choose one of: [{string.Join(" ", names)}]");
        }
        else if (!names.Contains(container) && !Names(pod, "initContainers").Contains(container))
        {
            throw ApiException.BadRequest($"container {container} is not valid for pod {podName}");
        }

        var command = query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (exec && command.Count == 0)
        {
            throw ApiException.BadRequest("you must specify at least 1 command");
        }

        var stdin = Flag(query, "stdin");
        var stdout = Flag(query, "stdout");
        var stderr = Flag(query, "stderr");
        var tty = Flag(query, "tty");
        if (!stdin && !stdout && !stderr)
        {
            throw ApiException.BadRequest("you must specify at least one of stdin, stdout, stderr");
        }

        return new ContainerStreamRequest
        {
            Namespace = (string?)pod["metadata"]?["namespace"] ?? "",
            Pod = podName,
            Container = container,
            Command = exec ? command : [],
            Stdin = stdin,
            Stdout = stdout,

            // A terminal has one output stream; the kubelet drops stderr rather than refuse.
            Stderr = stderr && !tty,
            Tty = tty,
        };
    }

    /// <summary>Booleans as Go's <c>strconv.ParseBool</c> reads them.</summary>
    private static bool Flag(IQueryCollection query, string name) =>
        (string?)query[name] is "1" or "t" or "T" or "true" or "TRUE" or "True";

    private static List<string> Names(JsonObject pod, string list) =>
        (pod["spec"]?[list] as JsonArray ?? []).Select(c => (string?)c?["name"]).OfType<string>().ToList();
}
