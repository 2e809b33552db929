using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;

namespace Grainetes.ApiServer.Security;

/// <summary>The uid of a service account as stored, which binds its tokens to this incarnation of the account.</summary>
internal static class ServiceAccountLookup
{
    public static async Task<string?> UidAsync(IGrainFactory grains, string @namespace, string name)
    {
        var json = await grains.GetGrain<IObjectGrain>(new ObjectKey("serviceaccounts", @namespace, name).GrainKey).Get();
        return json is null ? null : JsonNode.Parse(json)?["metadata"]?["uid"]?.GetValue<string>();
    }
}
