using Grainetes.Machinery.Security;
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
            await EnsureAsync("namespaces", name, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = name },
            });
        }

        // Kubernetes' RBAC bootstrap: the default roles exist before anyone but system:masters can do anything.
        foreach (var role in BootstrapPolicy.ClusterRoles())
        {
            await EnsureAsync("clusterroles.rbac.authorization.k8s.io", (string)role["metadata"]!["name"]!, role);
        }

        foreach (var binding in BootstrapPolicy.ClusterRoleBindings())
        {
            await EnsureAsync("clusterrolebindings.rbac.authorization.k8s.io", (string)binding["metadata"]!["name"]!, binding);
        }
    }

    private async Task EnsureAsync(string resource, string name, JsonObject obj)
    {
        var grain = grains.GetGrain<IObjectGrain>(new ObjectKey(resource, "", name).GrainKey);
        if (await grain.Get() is not null)
        {
            return;
        }

        try
        {
            await grain.Create(obj.ToJsonString(), WriteOptions.Default);
            LogCreated(resource, name);
        }
        catch (ApiException ex) when (ex.Code == 409)
        {
            // Another silo made it first.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Resource} {Name}")]
    private partial void LogCreated(string resource, string name);
}
