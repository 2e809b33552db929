using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;
using Grainetes.NodeAgent.Runtime;

namespace Grainetes.Host.Hosting;

/// <summary>
/// Registers this host as a <c>Node</c> when the silo starts: capacity, addresses, system info, labels and
/// a Ready condition. Idempotent: an existing node keeps its uid and gets its status refreshed.
/// </summary>
public sealed partial class NodeRegistration(
    IGrainFactory grains,
    NodeIdentity identity,
    IContainerRuntime runtime,
    TimeProvider time,
    Microsoft.Extensions.Options.IOptions<Grainetes.ApiServer.ApiServerOptions> api,
    ILogger<NodeRegistration> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var name = identity.Name;
        var grain = grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", name).GrainKey);
        if (await grain.Get() is null)
        {
            try
            {
                await grain.Create(new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Node",
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = name,
                        ["labels"] = new JsonObject
                        {
                            ["kubernetes.io/hostname"] = name,
                            ["kubernetes.io/os"] = "linux",
                            ["kubernetes.io/arch"] = Arch(),
                            ["beta.kubernetes.io/os"] = "linux",
                            ["beta.kubernetes.io/arch"] = Arch(),
                        },
                    },
                    ["spec"] = new JsonObject(),
                }.ToJsonString(), WriteOptions.Default);
            }
            catch (ApiException ex) when (ex.Code == 409)
            {
                // Registered by an earlier start.
            }
        }

        var patch = new JsonObject { ["status"] = Status(await runtime.VersionAsync(cancellationToken)) };
        await grain.Patch(patch.ToJsonString(), new WriteOptions { Subresource = "status", PatchType = "application/merge-patch+json" });

        // The address of this silo's streaming endpoint (its API server) for other silos' relays; the port is in status.
        var current = JsonNode.Parse(await grain.Get() ?? "{}");
        var (address, _) = KubeletEndpoint();
        if ((string?)current?["metadata"]?["annotations"]?[Grainetes.ApiServer.Streaming.KubeletEndpoint.AddressAnnotation] != address)
        {
            var annotate = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Grainetes.ApiServer.Streaming.KubeletEndpoint.AddressAnnotation] = address } } };
            await grain.Patch(annotate.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });
        }

        LogRegistered(name);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private JsonObject Status(string runtimeVersion)
    {
        var now = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var cpu = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        var memory = (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024).ToString(CultureInfo.InvariantCulture) + "Ki";
        var resources = new JsonObject { ["cpu"] = cpu, ["memory"] = memory, ["pods"] = "110", ["ephemeral-storage"] = "0" };
        return new JsonObject
        {
            ["capacity"] = resources.DeepClone(),
            ["allocatable"] = resources,
            ["addresses"] = new JsonArray(
                new JsonObject { ["type"] = "InternalIP", ["address"] = identity.HostIP },
                new JsonObject { ["type"] = "Hostname", ["address"] = identity.Name }),
            ["nodeInfo"] = new JsonObject
            {
                ["machineID"] = ReadFirstLine("/etc/machine-id"),
                ["systemUUID"] = ReadFirstLine("/sys/class/dmi/id/product_uuid"),
                ["bootID"] = ReadFirstLine("/proc/sys/kernel/random/boot_id"),
                ["kernelVersion"] = ReadFirstLine("/proc/sys/kernel/osrelease"),
                ["osImage"] = OsImage(),
                ["containerRuntimeVersion"] = runtimeVersion,
                ["kubeletVersion"] = "v1.32.0-grainetes",
                ["kubeProxyVersion"] = "v1.32.0-grainetes",
                ["operatingSystem"] = "linux",
                ["architecture"] = Arch(),
            },
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "Ready",
                ["status"] = "True",
                ["reason"] = "KubeletReady",
                ["message"] = "grainetes silo is posting ready status",
                ["lastHeartbeatTime"] = now,
                ["lastTransitionTime"] = now,
            }),
            ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = KubeletEndpoint().Port } },
        };
    }

    /// <summary>This silo's API server serves its node's exec, attach and port-forward streams: its advertised address is the kubelet endpoint.</summary>
    private (string Address, int Port) KubeletEndpoint()
    {
        var advertised = api.Value.AdvertisedAddress;
        var colon = advertised.LastIndexOf(':');
        return colon > 0 && int.TryParse(advertised.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? (advertised[..colon].Trim('[', ']'), port)
            : (advertised, 0);
    }

    private static string Arch() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static string OsImage()
    {
        var release = "/etc/os-release";
        if (File.Exists(release))
        {
            foreach (var line in File.ReadLines(release))
            {
                if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                {
                    return line["PRETTY_NAME=".Length..].Trim('"');
                }
            }
        }

        return RuntimeInformation.OSDescription;
    }

    private static string ReadFirstLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() ?? "" : "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered node {Node}")]
    private partial void LogRegistered(string node);
}
