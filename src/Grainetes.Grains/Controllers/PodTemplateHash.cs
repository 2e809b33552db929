using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// The <c>pod-template-hash</c> of a Deployment's template, after Kubernetes' ComputeHash: FNV-32a of the
/// template (here its canonical JSON) and the collision count, printed in decimal and then spelled with
/// the safe alphabet so it never forms words and is a valid label value.
/// </summary>
internal static class PodTemplateHash
{
    public const string Label = "pod-template-hash";

    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Compute(JsonNode? template, int collisionCount)
    {
        var hash = 2166136261u;
        var text = ControllerJson.Canonical(template);
        if (collisionCount > 0)
        {
            text += collisionCount.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 16777619u;
        }

        var digits = hash.ToString(CultureInfo.InvariantCulture);
        var safe = new StringBuilder(digits.Length);
        foreach (var c in digits)
        {
            safe.Append(SafeAlphabet[c % SafeAlphabet.Length]);
        }

        return safe.ToString();
    }

    /// <summary>The template without the hash label, for comparing a ReplicaSet's template with its Deployment's.</summary>
    public static string CanonicalWithoutHash(JsonNode? template)
    {
        if (template is not JsonObject obj)
        {
            return ControllerJson.Canonical(template);
        }

        var copy = obj.DeepClone().AsObject();
        if (copy["metadata"]?["labels"] is JsonObject labels)
        {
            labels.Remove(Label);
            if (labels.Count == 0)
            {
                copy["metadata"]!.AsObject().Remove("labels");
            }
        }

        return ControllerJson.Canonical(copy);
    }
}
