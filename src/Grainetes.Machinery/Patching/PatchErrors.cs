using Grainetes.Machinery.Errors;

namespace Grainetes.Machinery.Patching;

/// <summary>The two ways a patch fails, worded as the Kubernetes API server words them.</summary>
internal static class PatchErrors
{
    /// <summary>The patch document itself is malformed: nothing was attempted.</summary>
    public static ApiException Malformed(string detail) => ApiException.BadRequest(detail);

    /// <summary>The patch is well formed but cannot be applied to this object.</summary>
    public static ApiException CannotApply(string detail) =>
        new(422, "Invalid", $"the server rejected our request due to an error in our request: {detail}");
}
