using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Validation;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public static class ObjectValidator
{
    public static void Validate(ResourceType type, JsonObject obj)
    {
    }
}
