using System.Text.Json.Nodes;
using Grainetes.Machinery.Autoscaling;

namespace Grainetes.Machinery.Resources;

/// <summary>
/// Between a served version and the stored one, for kinds served in more than one version
/// (<see cref="ResourceType.StoredAs"/>). Objects of a stored version pass through unchanged.
/// </summary>
public static class VersionConversion
{
    /// <summary>The stored form of an object sent in <paramref name="served"/>'s version.</summary>
    public static JsonObject ToStorage(ResourceType served, JsonObject obj) => Route(served) switch
    {
        null => obj,
        Conversion.HorizontalPodAutoscalerV1 => HorizontalPodAutoscalerConversion.ToV2(obj),
        _ => throw new NotSupportedException(),
    };

    /// <summary>The object as a client of <paramref name="served"/>'s version sees it.</summary>
    public static JsonObject FromStorage(ResourceType served, JsonObject stored) => Route(served) switch
    {
        null => stored,
        Conversion.HorizontalPodAutoscalerV1 => HorizontalPodAutoscalerConversion.ToV1(stored),
        _ => throw new NotSupportedException(),
    };

    /// <summary>Stored JSON text in <paramref name="served"/>'s version; the same text when no conversion applies.</summary>
    public static string FromStorage(ResourceType served, string storedJson) =>
        served.StoredAs is null ? storedJson : FromStorage(served, JsonNode.Parse(storedJson)!.AsObject()).ToJsonString();

    private static Conversion? Route(ResourceType served) => (served.StoredAs, served.ApiVersion, served.Kind) switch
    {
        (null, _, _) => null,
        ("autoscaling/v2", "autoscaling/v1", "HorizontalPodAutoscaler") => Conversion.HorizontalPodAutoscalerV1,
        _ => throw new NotSupportedException($"no conversion from {served.ApiVersion} {served.Kind} to {served.StoredAs}"),
    };

    private enum Conversion
    {
        HorizontalPodAutoscalerV1,
    }
}
