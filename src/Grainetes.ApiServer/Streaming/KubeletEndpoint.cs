using System.Text.Json.Nodes;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// Where a node's streams are served, as Kubernetes finds its kubelet: the port from
/// <c>status.daemonEndpoints.kubeletEndpoint.Port</c>, the address from the <see cref="AddressAnnotation"/> the
/// node's silo writes (the address its API server listens on), else its <c>InternalIP</c>, else its <c>Hostname</c>.
/// </summary>
public static class KubeletEndpoint
{
    public const string AddressAnnotation = "grainetes.io/kubelet-address";

    /// <summary>The base URI of the node's streaming endpoint, or null when the node does not advertise one.</summary>
    public static Uri? Of(JsonNode node)
    {
        var port = (int?)node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"];
        if (port is null or <= 0 or > 65535)
        {
            return null;
        }

        var address = (string?)node["metadata"]?["annotations"]?[AddressAnnotation];
        if (string.IsNullOrEmpty(address))
        {
            var addresses = (node["status"]?["addresses"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            address = Address(addresses, "InternalIP") ?? Address(addresses, "Hostname");
        }

        return string.IsNullOrEmpty(address) ? null : new UriBuilder(Uri.UriSchemeHttp, address, port.Value).Uri;
    }

    private static string? Address(List<JsonObject> addresses, string type) =>
        addresses.Where(a => (string?)a["type"] == type).Select(a => (string?)a["address"]).FirstOrDefault(a => !string.IsNullOrEmpty(a));
}
