using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Validation;

/// <summary>
/// Validates objects on create and update the way the Kubernetes API server does for the fields we
/// check, reporting every problem at once as a 422 Invalid. Rules are a table keyed by the resource's
/// storage key (<c>pods</c>, <c>deployments.apps</c>), so a kind is added with one entry.
/// </summary>
public sealed class ObjectValidator
{
    /// <summary>Kubernetes' limit on the summed size of all annotation keys and values.</summary>
    public const int TotalAnnotationSizeLimitBytes = 256 * 1024;

    private static readonly KindRule DefaultRule = new(NameValidation.IsDns1123Subdomain);

    private readonly Dictionary<string, KindRule> rules;

    public ObjectValidator()
        : this(null)
    {
    }

    /// <param name="extraRules">Rules by storage key that add to or replace the built-in ones.</param>
    public ObjectValidator(IReadOnlyDictionary<string, KindRule>? extraRules)
    {
        rules = new Dictionary<string, KindRule>(StringComparer.Ordinal)
        {
            ["namespaces"] = new(NameValidation.IsDns1123Label),
            ["pods"] = new(NameValidation.IsDns1123Subdomain, BuiltInRules.Pod),

            // Service names become DNS labels that must not start with a digit, hence DNS-1035 as in Kubernetes.
            ["services"] = new(NameValidation.IsDns1035Label, BuiltInRules.Service),
            ["endpoints"] = DefaultRule,
            ["nodes"] = DefaultRule,
            ["configmaps"] = new(NameValidation.IsDns1123Subdomain, BuiltInRules.ConfigMap),
            ["secrets"] = new(NameValidation.IsDns1123Subdomain, BuiltInRules.Secret),
            ["serviceaccounts"] = DefaultRule,
            ["events"] = DefaultRule,
            ["deployments.apps"] = new(NameValidation.IsDns1123Subdomain, BuiltInRules.Deployment),
            ["replicasets.apps"] = new(NameValidation.IsDns1123Subdomain, BuiltInRules.ReplicaSet),
            ["daemonsets.apps"] = new(NameValidation.IsDns1123Subdomain, BuiltInRules.DaemonSet),
            ["controllerrevisions.apps"] = new(NameValidation.IsDns1123Subdomain, BuiltInRules.ControllerRevision),
            ["jobs.batch"] = new(NameValidation.IsDns1123Subdomain, BuiltInRules.Job),
            ["cronjobs.batch"] = new(NameValidation.IsDns1123Subdomain, BuiltInRules.CronJob),
            ["leases.coordination.k8s.io"] = DefaultRule,
            ["endpointslices.discovery.k8s.io"] = DefaultRule,

            // RBAC names such as "system:discovery" only have to be valid path segments, as in Kubernetes.
            ["roles.rbac.authorization.k8s.io"] = new(NameValidation.IsValidPathSegmentName),
            ["clusterroles.rbac.authorization.k8s.io"] = new(NameValidation.IsValidPathSegmentName),
            ["rolebindings.rbac.authorization.k8s.io"] = new(NameValidation.IsValidPathSegmentName),
            ["clusterrolebindings.rbac.authorization.k8s.io"] = new(NameValidation.IsValidPathSegmentName),
            ["horizontalpodautoscalers.autoscaling"] = new(NameValidation.IsDns1123Subdomain, HorizontalPodAutoscalerRules.Validate),
            ["resourcequotas"] = new(NameValidation.IsDns1123Subdomain, PolicyRules.ResourceQuota),
            ["limitranges"] = new(NameValidation.IsDns1123Subdomain, PolicyRules.LimitRange),
        };
        foreach (var (key, rule) in extraRules ?? new Dictionary<string, KindRule>()) rules[key] = rule;
    }

    /// <summary>Throws when the object is invalid; returns quietly otherwise.</summary>
    /// <exception cref="ApiException">422 Invalid listing every problem as a cause.</exception>
    public void Validate(ResourceType type, JsonObject obj)
    {
        var causes = Collect(type, obj);
        if (causes.Count == 0) return;
        var name = obj["metadata"]?["name"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";
        throw ApiException.Invalid(type.Kind, name, causes, type.Group);
    }

    /// <summary>Every problem found, in a stable order (metadata first, then the kind's own checks).</summary>
    public IReadOnlyList<StatusCause> Collect(ResourceType type, JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(obj);
        var rule = rules.GetValueOrDefault(type.StorageKey, DefaultRule);
        var errors = new ValidationErrors();
        var metadata = obj["metadata"] as JsonObject;
        ValidateMetadata(metadata, rule.NameRule, errors);
        rule.Validate?.Invoke(obj, errors);
        return errors.Causes;
    }

    /// <summary>Labels of any object or template: qualified-name keys and label-format values, one cause per message.</summary>
    public static void ValidateLabels(JsonNode? labels, string field, ValidationErrors errors)
    {
        if (labels is null) return;
        if (labels is not JsonObject map)
        {
            errors.Invalid(field, labels, "must be a map of string keys to string values");
            return;
        }

        foreach (var (key, value) in map)
        {
            foreach (var message in NameValidation.IsQualifiedName(key)) errors.Invalid(field, key, message);
            if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            {
                errors.Invalid(field, value, "label values must be strings");
                continue;
            }

            foreach (var message in NameValidation.IsValidLabelValue(v.GetValue<string>())) errors.Invalid(field, v.GetValue<string>(), message);
        }
    }

    private static void ValidateMetadata(JsonObject? metadata, Func<string, IReadOnlyList<string>> nameRule, ValidationErrors errors)
    {
        var name = Json.String(metadata?["name"]);
        var generateName = Json.String(metadata?["generateName"]);
        if (!string.IsNullOrEmpty(generateName))
        {
            foreach (var message in NameValidation.ValidateGenerateName(generateName, nameRule)) errors.Invalid("metadata.generateName", generateName, message);
        }

        if (string.IsNullOrEmpty(name))
        {
            errors.Required("metadata.name", "name or generateName is required");
        }
        else
        {
            var messages = nameRule(name);
            if (messages.Count == 0) messages = NameValidation.IsValidPathSegmentName(name);
            foreach (var message in messages) errors.Invalid("metadata.name", name, message);
        }

        var ns = Json.String(metadata?["namespace"]);
        if (!string.IsNullOrEmpty(ns))
        {
            foreach (var message in NameValidation.IsDns1123Label(ns)) errors.Invalid("metadata.namespace", ns, message);
        }

        ValidateLabels(metadata?["labels"], "metadata.labels", errors);
        ValidateAnnotations(metadata?["annotations"], "metadata.annotations", errors);
    }

    private static void ValidateAnnotations(JsonNode? annotations, string field, ValidationErrors errors)
    {
        if (annotations is not JsonObject map) return;
        long total = 0;
        foreach (var (key, value) in map)
        {
            // Kubernetes lower-cases annotation keys before checking them, so upper case is allowed.
            foreach (var message in NameValidation.IsQualifiedName(key.ToLowerInvariant())) errors.Invalid(field, key, message);
            total += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(Json.String(value) ?? value?.ToJsonString() ?? "");
        }

        if (total > TotalAnnotationSizeLimitBytes) errors.TooLong(field, TotalAnnotationSizeLimitBytes);
    }
}
