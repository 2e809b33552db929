using Grainetes.Abstractions.Telemetry;
using Grainetes.NodeAgent.Kubelet;
using Grainetes.NodeAgent.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;

namespace Grainetes.NodeAgent.Hosting;

/// <summary>Makes a silo its host's kubelet: names the silo after its node, pins the agent grain to it, runs the pod worker.</summary>
public static class NodeAgentSiloBuilderExtensions
{
    /// <remarks>The container runtime (<c>IContainerRuntime</c>) is registered separately, by the runtime selector.</remarks>
    public static ISiloBuilder AddGrainetesNodeAgent(this ISiloBuilder builder, Action<NodeAgentOptions> configure)
    {
        var options = new NodeAgentOptions();
        configure(options);
        builder.Services.Configure(configure);
        builder.Configure<SiloOptions>(o => o.SiloName = options.NodeName);
        builder.Services.AddPlacementDirector<NodePinnedPlacement, NodePinnedPlacementDirector>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<PodWorkerRegistry>();
        builder.Services.TryAddSingleton<Runtime.HostPodNetwork>();
        builder.Services.AddGrainetesInstruments();
        builder.Services.AddOptions<KubeletOptions>();
        builder.Services.AddHostedService<NodeAgentWorker>();
        builder.Services.AddOptions<Proxy.ProxyOptions>();
        builder.Services.AddHostedService<Proxy.ServiceProxy>();
        builder.Services.TryAddSingleton<Abstractions.Streaming.INodeStreaming, Streaming.NodeStreamingService>();
        builder.Services.AddOptions<Grainetes.NodeAgent.Metrics.MetricsOptions>();
        builder.Services.AddHostedService<Grainetes.NodeAgent.Metrics.ResourceUsageSampler>();
        return builder;
    }
}
