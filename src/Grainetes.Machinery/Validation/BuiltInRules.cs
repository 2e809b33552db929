using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Selectors;

namespace Grainetes.Machinery.Validation;

/// <summary>The kind-specific checks of the built-in kinds, after pkg/apis/*/validation in Kubernetes.</summary>
internal static class BuiltInRules
{
    /// <summary>ConfigMaps and Secrets share etcd's practical object limit.</summary>
    public const int MaxDataSizeBytes = 1024 * 1024;

    private static readonly string[] RestartPolicies = ["Always", "Never", "OnFailure"];
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] ServiceTypes = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

    public static void Pod(JsonObject obj, ValidationErrors errors) =>
        PodSpec(obj["spec"], "spec", errors, RestartPolicies);

    public static void Deployment(JsonObject obj, ValidationErrors errors) => Workload(obj, errors);

    public static void ReplicaSet(JsonObject obj, ValidationErrors errors) => Workload(obj, errors);

    /// <summary>
    /// A pod spec at <paramref name="path"/>; shared by pods and every template so the same mistake
    /// gets the same message wherever it is made.
    /// </summary>
    public static void PodSpec(JsonNode? spec, string path, ValidationErrors errors, IReadOnlyList<string> restartPolicies)
    {
        if (spec is not JsonObject podSpec)
        {
            errors.Required(path);
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        if (podSpec["containers"] is not JsonArray { Count: > 0 })
        {
            errors.Required($"{path}.containers");
        }
        else
        {
            Containers(podSpec["containers"], $"{path}.containers", names, errors);
        }

        // Init containers share the name space with app containers (both show up in status by name).
        Containers(podSpec["initContainers"], $"{path}.initContainers", names, errors);

        if (podSpec["restartPolicy"] is { } policy && !restartPolicies.Contains(Json.String(policy)))
        {
            errors.NotSupported($"{path}.restartPolicy", policy, restartPolicies);
        }
    }

    public static void Service(JsonObject obj, ValidationErrors errors)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            errors.Required("spec");
            return;
        }

        var type = Json.String(spec["type"]) ?? "ClusterIP";
        if (spec["type"] is { } typeNode && !ServiceTypes.Contains(Json.String(typeNode)))
        {
            errors.NotSupported("spec.type", typeNode, ServiceTypes);
        }

        if (type == "ExternalName" && string.IsNullOrEmpty(Json.String(spec["externalName"])))
        {
            errors.Required("spec.externalName");
        }

        var ports = Json.Items(spec["ports"]).ToList();
        var headless = Json.String(spec["clusterIP"]) == "None";
        if (ports.Count == 0 && !headless && type != "ExternalName") errors.Required("spec.ports");

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in ports)
        {
            var portPath = $"spec.ports[{i}]";

            // With several ports, endpoints and env vars refer to them by name, so each needs a distinct one.
            var name = Json.String(port["name"]);
            if (string.IsNullOrEmpty(name))
            {
                if (ports.Count > 1) errors.Required($"{portPath}.name");
            }
            else
            {
                foreach (var message in NameValidation.IsDns1123Label(name)) errors.Invalid($"{portPath}.name", name, message);
                if (!names.Add(name)) errors.Duplicate($"{portPath}.name", name);
            }

            PortNumber(port["port"], $"{portPath}.port", required: true, errors);
            Protocol(port["protocol"], $"{portPath}.protocol", errors);

            if (Json.Integer(port["nodePort"]) is { } nodePort && nodePort != 0)
            {
                if (type is "ClusterIP" or "ExternalName")
                {
                    errors.Forbidden($"{portPath}.nodePort", $"may not be used when `type` is '{type}'");
                }
                else if (nodePort is < 30000 or > 32767)
                {
                    errors.Invalid($"{portPath}.nodePort", port["nodePort"], "provided port is not in the valid range. The range of valid ports is 30000-32767");
                }
            }

            switch (port["targetPort"])
            {
                case JsonValue target when Json.String(target) is { } targetName:
                    foreach (var message in NameValidation.IsValidPortName(targetName)) errors.Invalid($"{portPath}.targetPort", targetName, message);
                    break;
                case JsonValue target when Json.Integer(target) is { } targetNumber && targetNumber != 0:
                    foreach (var message in NameValidation.IsValidPortNumber(targetNumber)) errors.Invalid($"{portPath}.targetPort", target, message);
                    break;
            }
        }
    }

    public static void ConfigMap(JsonObject obj, ValidationErrors errors)
    {
        var data = obj["data"] as JsonObject;
        var binaryData = obj["binaryData"] as JsonObject;
        long total = 0;
        foreach (var (key, value) in data ?? [])
        {
            foreach (var message in NameValidation.IsConfigMapKey(key)) errors.Invalid($"data[{key}]", key, message);
            if (binaryData?.ContainsKey(key) == true) errors.Invalid($"data[{key}]", key, "duplicate of key present in binaryData");
            total += Encoding.UTF8.GetByteCount(Json.String(value) ?? "");
        }

        foreach (var (key, value) in binaryData ?? [])
        {
            foreach (var message in NameValidation.IsConfigMapKey(key)) errors.Invalid($"binaryData[{key}]", key, message);

            // Base64 on the wire; the limit is on the decoded bytes.
            total += (Json.String(value)?.Length ?? 0) * 3 / 4;
        }

        if (total > MaxDataSizeBytes) errors.TooLong("", MaxDataSizeBytes);
    }

    public static void Secret(JsonObject obj, ValidationErrors errors)
    {
        foreach (var bag in new[] { "data", "stringData" })
        {
            foreach (var (key, _) in obj[bag] as JsonObject ?? [])
            {
                foreach (var message in NameValidation.IsConfigMapKey(key)) errors.Invalid($"{bag}[{key}]", key, message);
            }
        }
    }

    private static void Workload(JsonObject obj, ValidationErrors errors)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            errors.Required("spec");
            return;
        }

        if (spec["replicas"] is { } replicas && Json.Integer(replicas) is < 0)
        {
            errors.Invalid("spec.replicas", replicas, "must be greater than or equal to 0");
        }

        var template = spec["template"] as JsonObject;
        var selectorNode = spec["selector"];
        if (selectorNode is not JsonObject selectorJson)
        {
            errors.Required("spec.selector");
        }
        else
        {
            LabelSelector? selector = null;
            try
            {
                selector = LabelSelector.FromJson(selectorJson);
            }
            catch (ApiException e)
            {
                errors.Invalid("spec.selector", selectorJson, e.Message);
            }

            if (selector is { IsEverything: true })
            {
                // Kubernetes uses this wording for ReplicaSets too.
                errors.Invalid("spec.selector", selectorJson, "empty selector is invalid for deployment");
            }
            else if (selector is not null && template is not null)
            {
                var templateLabels = LabelSelector.LabelsOf(template);
                if (!selector.Matches(templateLabels))
                {
                    errors.InvalidFormatted("spec.template.metadata.labels", GoFormat.StringMap(templateLabels), "`selector` does not match template `labels`");
                }
            }
        }

        if (template is null)
        {
            errors.Required("spec.template");
            return;
        }

        ObjectValidator.ValidateLabels(template["metadata"]?["labels"], "spec.template.metadata.labels", errors);

        // A controller recreates exited pods itself, so only Always makes sense in its template.
        PodSpec(template["spec"], "spec.template.spec", errors, ["Always"]);
    }

    private static void Containers(JsonNode? containers, string path, HashSet<string> names, ValidationErrors errors)
    {
        foreach (var (i, container) in Json.Items(containers))
        {
            var containerPath = $"{path}[{i}]";
            var name = Json.String(container["name"]);
            if (string.IsNullOrEmpty(name))
            {
                errors.Required($"{containerPath}.name");
            }
            else
            {
                foreach (var message in NameValidation.IsDns1123Label(name)) errors.Invalid($"{containerPath}.name", name, message);
                if (!names.Add(name)) errors.Duplicate($"{containerPath}.name", name);
            }

            var image = Json.String(container["image"]);
            if (string.IsNullOrWhiteSpace(image))
            {
                errors.Required($"{containerPath}.image");
            }
            else if (image.Trim() != image)
            {
                errors.Invalid($"{containerPath}.image", image, "must not have leading or trailing whitespace");
            }

            var portNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (j, port) in Json.Items(container["ports"]))
            {
                var portPath = $"{containerPath}.ports[{j}]";
                if (Json.String(port["name"]) is { Length: > 0 } portName)
                {
                    foreach (var message in NameValidation.IsValidPortName(portName)) errors.Invalid($"{portPath}.name", portName, message);
                    if (!portNames.Add(portName)) errors.Duplicate($"{portPath}.name", portName);
                }

                PortNumber(port["containerPort"], $"{portPath}.containerPort", required: true, errors);
                PortNumber(port["hostPort"], $"{portPath}.hostPort", required: false, errors);
                Protocol(port["protocol"], $"{portPath}.protocol", errors);
            }
        }
    }

    private static void PortNumber(JsonNode? node, string path, bool required, ValidationErrors errors)
    {
        var number = Json.Integer(node);
        if (node is null || number == 0)
        {
            if (required) errors.Required(path);
            return;
        }

        if (number is null)
        {
            errors.Invalid(path, node, "must be an integer");
            return;
        }

        foreach (var message in NameValidation.IsValidPortNumber(number.Value)) errors.Invalid(path, node, message);
    }

    private static void Protocol(JsonNode? node, string path, ValidationErrors errors)
    {
        if (node is not null && !Protocols.Contains(Json.String(node))) errors.NotSupported(path, node, Protocols);
    }
}
