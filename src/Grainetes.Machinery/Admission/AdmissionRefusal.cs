using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Admission;

/// <summary>The 403 an admission plugin answers, worded as Kubernetes' <c>admission.NewForbidden</c>.</summary>
public static class AdmissionRefusal
{
    public static ApiException Forbidden(ResourceType type, string name, string reason)
    {
        var resource = type.Group.Length == 0 ? type.Plural : $"{type.Plural}.{type.Group}";
        return new ApiException(403, "Forbidden", $"{resource} \"{name}\" is forbidden: {reason}")
        {
            DetailsKind = type.Plural,
            DetailsName = name,
            DetailsGroup = type.Group,
        };
    }
}
