using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Validation;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public sealed class UnknownFieldDetector
{
    public IReadOnlyList<string> Find(Type modelType, JsonNode json) => [];
}
