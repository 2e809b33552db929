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
    private static readonly string[] DaemonSetStrategies = ["OnDelete", "RollingUpdate"];
    private static readonly string[] ConcurrencyPolicies = ["Allow", "Forbid", "Replace"];
    private static readonly string[] CompletionModes = ["Indexed", "NonIndexed"];
    private static readonly string[] CronDescriptors = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
    private static readonly string[] ServiceTypes = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

    public static void Pod(JsonObject obj, ValidationErrors errors) =>
        PodSpec(obj["spec"], "spec", errors, RestartPolicies);

    public static void Deployment(JsonObject obj, ValidationErrors errors) => Workload(obj, errors);

    public static void ReplicaSet(JsonObject obj, ValidationErrors errors) => Workload(obj, errors);

    public static void DaemonSet(JsonObject obj, ValidationErrors errors)
    {
        Workload(obj, errors);
        var strategy = obj["spec"]?["updateStrategy"];
        if (strategy?["type"] is { } type && !DaemonSetStrategies.Contains(Json.String(type)))
        {
            errors.NotSupported("spec.updateStrategy.type", type, DaemonSetStrategies);
        }
    }

    public static void ControllerRevision(JsonObject obj, ValidationErrors errors)
    {
        if (obj["data"] is null)
        {
            errors.Required("data", "data is mandatory");
        }

        NonNegative(obj["revision"], "revision", errors);
    }

    public static void Job(JsonObject obj, ValidationErrors errors)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            errors.Required("spec");
            return;
        }

        JobSpec(spec, "spec", errors, requireSelector: true);
    }

    public static void CronJob(JsonObject obj, ValidationErrors errors)
    {
        // The controller appends an 11-character slot suffix to make job names, which must stay within 63.
        if (Json.String(obj["metadata"]?["name"]) is { Length: > 52 } name)
        {
            errors.Invalid("metadata.name", name, "must be no more than 52 characters");
        }

        if (obj["spec"] is not JsonObject spec)
        {
            errors.Required("spec");
            return;
        }

        var schedule = Json.String(spec["schedule"]);
        if (string.IsNullOrWhiteSpace(schedule))
        {
            errors.Required("spec.schedule");
        }
        else if (schedule.Contains("TZ=", StringComparison.Ordinal))
        {
            errors.Invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        }
        else if (!LooksLikeCron(schedule))
        {
            errors.Invalid("spec.schedule", schedule, "unparseable schedule: expected exactly 5 fields or a descriptor such as @hourly");
        }

        if (Json.String(spec["timeZone"]) is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            errors.Invalid("spec.timeZone", zone, "unknown time zone " + zone);
        }

        if (spec["concurrencyPolicy"] is { } policy && !ConcurrencyPolicies.Contains(Json.String(policy)))
        {
            errors.NotSupported("spec.concurrencyPolicy", policy, ConcurrencyPolicies);
        }

        NonNegative(spec["startingDeadlineSeconds"], "spec.startingDeadlineSeconds", errors);
        NonNegative(spec["successfulJobsHistoryLimit"], "spec.successfulJobsHistoryLimit", errors);
        NonNegative(spec["failedJobsHistoryLimit"], "spec.failedJobsHistoryLimit", errors);
        if (spec["jobTemplate"]?["spec"] is not JsonObject jobSpec)
        {
            errors.Required("spec.jobTemplate.spec");
            return;
        }

        // The selector of each job is generated when the controller creates it.
        JobSpec(jobSpec, "spec.jobTemplate.spec", errors, requireSelector: false);
    }

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

        // Whether the cloud can give the requested balancer address is its controller's to say; that it is one is ours.
        if (Json.String(spec["loadBalancerIP"]) is { Length: > 0 } loadBalancerIP && !IsIpAddress(loadBalancerIP))
        {
            errors.Invalid("spec.loadBalancerIP", loadBalancerIP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        }

        if (spec["loadBalancerClass"] is not null && type != "LoadBalancer")
        {
            errors.Forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'");
        }
    }

    /// <summary>A dotted-quad IPv4 or an IPv6 address (IPAddress.TryParse alone also takes "1" or "1.2").</summary>
    private static bool IsIpAddress(string text) =>
        System.Net.IPAddress.TryParse(text, out var address)
        && (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? text.Contains(':', StringComparison.Ordinal) : text.Count(c => c == '.') == 3);

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

        var data = obj["data"] as JsonObject ?? [];

        // Base64 on the wire; the limit is on the decoded bytes.
        if (data.Sum(d => (Json.String(d.Value)?.Length ?? 0) * 3L / 4) > MaxDataSizeBytes) errors.TooLong("data", MaxDataSizeBytes);

        // The well-known types' required keys, as Kubernetes' ValidateSecret checks them.
        switch (Json.String(obj["type"]))
        {
            case "kubernetes.io/dockercfg":
                if (!data.ContainsKey(".dockercfg")) errors.Required("data[.dockercfg]");
                break;
            case "kubernetes.io/dockerconfigjson":
                if (!data.ContainsKey(".dockerconfigjson")) errors.Required("data[.dockerconfigjson]");
                break;
            case "kubernetes.io/basic-auth":
                if (!data.ContainsKey("username") && !data.ContainsKey("password"))
                {
                    errors.Required("data[username]");
                    errors.Required("data[password]");
                }

                break;
            case "kubernetes.io/ssh-auth":
                if (string.IsNullOrEmpty(Json.String(data["ssh-privatekey"]))) errors.Required("data[ssh-privatekey]");
                break;
            case "kubernetes.io/tls":
                if (!data.ContainsKey("tls.crt")) errors.Required("data[tls.crt]");
                if (!data.ContainsKey("tls.key")) errors.Required("data[tls.key]");
                break;
        }
    }

    private static void JobSpec(JsonObject spec, string path, ValidationErrors errors, bool requireSelector)
    {
        NonNegative(spec["parallelism"], $"{path}.parallelism", errors);
        NonNegative(spec["completions"], $"{path}.completions", errors);
        NonNegative(spec["backoffLimit"], $"{path}.backoffLimit", errors);
        if (spec["activeDeadlineSeconds"] is { } deadline && Json.Integer(deadline) is not > 0)
        {
            errors.Invalid($"{path}.activeDeadlineSeconds", deadline, "must be greater than 0");
        }

        var mode = spec["completionMode"];
        if (mode is not null && !CompletionModes.Contains(Json.String(mode)))
        {
            errors.NotSupported($"{path}.completionMode", mode, CompletionModes);
        }
        else if (Json.String(mode) == "Indexed" && Json.Integer(spec["completions"]) is null)
        {
            errors.Required($"{path}.completions", "when completion mode is Indexed");
        }

        var template = spec["template"] as JsonObject;
        if (template is null)
        {
            errors.Required($"{path}.template");
            return;
        }

        if (spec["selector"] is JsonObject selectorJson)
        {
            try
            {
                var selector = LabelSelector.FromJson(selectorJson);
                var labels = LabelSelector.LabelsOf(template);
                if (selector.IsEverything || !selector.Matches(labels))
                {
                    errors.InvalidFormatted($"{path}.template.metadata.labels", GoFormat.StringMap(labels), "`selector` does not match template `labels`");
                }
            }
            catch (ApiException e)
            {
                errors.Invalid($"{path}.selector", selectorJson, e.Message);
            }
        }
        else if (requireSelector)
        {
            errors.Required($"{path}.selector");
        }

        ObjectValidator.ValidateLabels(template["metadata"]?["labels"], $"{path}.template.metadata.labels", errors);

        // A job's pods run to completion: Always would never let them finish.
        PodSpec(template["spec"], $"{path}.template.spec", errors, ["OnFailure", "Never"]);
        JobFailureRules.Validate(spec, path, errors);
    }

    private static void NonNegative(JsonNode? node, string path, ValidationErrors errors)
    {
        if (node is not null && Json.Integer(node) is not >= 0)
        {
            errors.Invalid(path, node, "must be greater than or equal to 0");
        }
    }

    /// <summary>A shape check only (five fields, or a descriptor); the controller parses the schedule itself.</summary>
    private static bool LooksLikeCron(string schedule)
    {
        var trimmed = schedule.Trim();
        if (trimmed.StartsWith('@'))
        {
            return CronDescriptors.Contains(trimmed.ToLowerInvariant());
        }

        var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length == 5 && fields.All(f => f.All(c => char.IsAsciiLetterOrDigit(c) || c is '*' or '/' or ',' or '-' or '?'));
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
