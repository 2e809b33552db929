using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;

namespace Grainetes.Host.Hosting;

/// <summary>Creates the namespaces every Kubernetes cluster has, once the silo is up; idempotent.</summary>
public sealed partial class ClusterBootstrapper(IGrainFactory grains, ILogger<ClusterBootstrapper> logger) : IHostedService
{
    private static readonly string[] SystemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var name in SystemNamespaces)
        {
            var grain = grains.GetGrain<IObjectGrain>(new ObjectKey("namespaces", "", name).GrainKey);
            if (await grain.Get() is not null)
            {
                continue;
            }

            try
            {
                await grain.Create(new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Namespace",
                    ["metadata"] = new JsonObject { ["name"] = name },
                }.ToJsonString(), WriteOptions.Default);
                LogCreated(name);
            }
            catch (ApiException ex) when (ex.Code == 409)
            {
                // Another silo made it first.
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created namespace {Namespace}")]
    private partial void LogCreated(string @namespace);
}
