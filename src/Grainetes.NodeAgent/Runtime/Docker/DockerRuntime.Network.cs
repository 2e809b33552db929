using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace Grainetes.NodeAgent.Runtime.Docker;

public sealed partial class DockerRuntime
{
    /// <summary>Docker's option naming a bridge network's interface on the host.</summary>
    private const string BridgeNameOption = "com.docker.network.bridge.name";

    public async Task<PodNetwork> PrepareNetworkAsync(CancellationToken cancellationToken)
    {
        var network = await FindNetworkAsync(cancellationToken).ConfigureAwait(false);
        if (network is null)
        {
            using var timeout = Bounded(cancellationToken);
            try
            {
                await _client.Networks.CreateNetworkAsync(
                    new NetworksCreateParameters
                    {
                        Name = _options.Network,
                        Driver = "bridge",
                        CheckDuplicate = true,
                        IPAM = new IPAM
                        {
                            Driver = "default",
                            Config = [new IPAMConfig { Subnet = _options.Subnet, IPRange = _options.IPRange, Gateway = _options.Gateway }],
                        },

                        // Interface names are at most 15 characters; a longer network name gets Docker's generated one.
                        Options = _options.Network.Length <= 15
                            ? new Dictionary<string, string> { [BridgeNameOption] = _options.Network }
                            : new Dictionary<string, string>(),
                        Labels = new Dictionary<string, string> { [DockerLabels.Managed] = "true" },
                    },
                    timeout.Token).ConfigureAwait(false);
                LogNetworkCreated(_options.Network, _options.Subnet, _options.IPRange);
            }
            catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                // Another silo on this daemon made it first: it is the same network.
            }

            network = await FindNetworkAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"the Docker network \"{_options.Network}\" could not be created");
        }

        var subnet = network.IPAM?.Config?.Select(c => c.Subnet).FirstOrDefault(s => !string.IsNullOrEmpty(s));
        var bridge = network.Options is { } options && options.TryGetValue(BridgeNameOption, out var name)
            ? name
            : "br-" + network.ID[..Math.Min(12, network.ID.Length)];
        return new PodNetwork(subnet ?? _options.Subnet, bridge);
    }

    private async Task<NetworkResponse?> FindNetworkAsync(CancellationToken cancellationToken)
    {
        using var timeout = Bounded(cancellationToken);
        var found = await _client.Networks.ListNetworksAsync(
            new NetworksListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [_options.Network] = true } },
            },
            timeout.Token).ConfigureAwait(false);

        // The name filter matches substrings.
        return found.FirstOrDefault(n => n.Name == _options.Network);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the pod network {Network} ({Subnet}, pods from {IPRange})")]
    private partial void LogNetworkCreated(string network, string subnet, string ipRange);
}
