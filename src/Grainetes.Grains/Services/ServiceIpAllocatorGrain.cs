using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Services;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Services;

/// <summary>
/// The ClusterIP and NodePort allocators (Kubernetes' ipallocator and portallocator with their repair
/// controllers) in one grain: one table row holds both, every change is written before it is answered, and
/// turns are serialized, so concurrent creates cannot collide and a restart resumes from what was written.
/// </summary>
public sealed partial class ServiceIpAllocatorGrain : Grain, IServiceIpAllocatorGrain, IRemindable
{
    private const string ReminderName = "repair";

    private readonly IPersistentState<ServiceAllocationsState> state;
    private readonly ServiceNetworkOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<ServiceIpAllocatorGrain> logger;
    private readonly Ipv4Range range;
    private bool reminderRegistered;

    public ServiceIpAllocatorGrain(
        [PersistentState("serviceAllocations", ObjectGrain.StorageName)] IPersistentState<ServiceAllocationsState> state,
        IOptions<ServiceNetworkOptions> options,
        TimeProvider time,
        ILogger<ServiceIpAllocatorGrain> logger)
    {
        this.state = state;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        range = new Ipv4Range(this.options.ServiceCidr);
    }

    private ServiceAllocationsState S => state.State;

    public async Task<ServiceAllocationResult> Allocate(ServiceAllocationRequest request)
    {
        // Holdings the request may reuse: its own, and on a create also those of an earlier, failed incarnation.
        bool Mine(ServiceHolding h) => h.Owner == request.Owner && (request.Replace || h.Uid == request.Uid);

        string? ip = null;
        if (request.ClusterIP is { Length: > 0 } wanted)
        {
            if (!IPAddress.TryParse(wanted, out var address) || address.AddressFamily != AddressFamily.InterNetwork || Offset(address) is not { } offset
                || offset == 0 || offset == range.Size - 1)
            {
                return Refuse("clusterIPs", wanted, $"failed to allocate IP {wanted}: provided IP is not in the valid range. The range of valid IPs is {options.ServiceCidr}");
            }

            if (S.ClusterIPs.TryGetValue(wanted, out var holder) && !Mine(holder))
            {
                return Refuse("clusterIPs", wanted, $"failed to allocate IP {wanted}: provided IP is already allocated");
            }

            ip = Address(offset);
        }
        else if (request.ClusterIP is not null)
        {
            ip = NextFreeIp(Mine);
            if (ip is null)
            {
                return Refuse("clusterIPs", "", $"failed to allocate a serviceIP: range is full (the range of valid IPs is {options.ServiceCidr})", exhausted: true);
            }
        }

        var ports = new int[request.NodePorts.Count];
        var chosen = new HashSet<int>();
        for (var i = 0; i < ports.Length; i++)
        {
            var port = request.NodePorts[i];
            if (port == 0)
            {
                continue;
            }

            if (port < options.NodePortMin || port > options.NodePortMax)
            {
                return Refuse($"nodePort:{i}", port.ToString(CultureInfo.InvariantCulture),
                    $"provided port is not in the valid range. The range of valid ports is {options.NodePortMin}-{options.NodePortMax}");
            }

            if (S.NodePorts.TryGetValue(port, out var holder) && !Mine(holder))
            {
                return Refuse($"nodePort:{i}", port.ToString(CultureInfo.InvariantCulture), "provided port is already allocated");
            }

            ports[i] = port;
            chosen.Add(port);
        }

        var cursor = S.NextNodePort;
        for (var i = 0; i < ports.Length; i++)
        {
            if (ports[i] != 0)
            {
                continue;
            }

            var free = NextFreePort(Mine, chosen, ref cursor);
            if (free is null)
            {
                return Refuse($"nodePort:{i}", "0", $"failed to allocate a nodePort: range is full ({options.NodePortMin}-{options.NodePortMax})", exhausted: true);
            }

            ports[i] = free.Value;
            chosen.Add(free.Value);
        }

        var result = new ServiceAllocationResult { ClusterIP = ip, NodePorts = ports };
        if (request.DryRun)
        {
            return result;
        }

        var now = time.GetUtcNow();
        var changed = false;
        if (request.Replace)
        {
            changed |= Holdings.RemoveWhere(S.ClusterIPs, h => h.Owner == request.Owner) > 0;
            changed |= Holdings.RemoveWhere(S.NodePorts, h => h.Owner == request.Owner) > 0;
        }

        if (ip is not null)
        {
            changed |= Holdings.Hold(S.ClusterIPs, ip, request.Owner, request.Uid, now);
            if (request.ClusterIP is { Length: 0 })
            {
                S.NextIpOffset = (Offset(IPAddress.Parse(ip))!.Value + 1) % range.Size;
            }
        }

        foreach (var port in chosen)
        {
            changed |= Holdings.Hold(S.NodePorts, port, request.Owner, request.Uid, now);
        }

        if (cursor != S.NextNodePort)
        {
            S.NextNodePort = cursor;
            changed = true;
        }

        if (changed)
        {
            await WriteAsync();
        }

        return result;
    }

    public async Task Retain(string owner, string uid, string? clusterIP, IReadOnlyList<int> nodePorts)
    {
        var changed = Holdings.RemoveWhere(S.ClusterIPs, (ip, h) => h.Owner == owner && ip != clusterIP) > 0;
        changed |= Holdings.RemoveWhere(S.NodePorts, (port, h) => h.Owner == owner && !nodePorts.Contains(port)) > 0;
        changed |= Adopt(S.ClusterIPs, owner, uid);
        changed |= Adopt(S.NodePorts, owner, uid);
        if (changed)
        {
            await WriteAsync();
        }
    }

    public async Task Release(string owner, string uid)
    {
        var removed = Holdings.RemoveWhere(S.ClusterIPs, h => h.Owner == owner && h.Uid == uid) + Holdings.RemoveWhere(S.NodePorts, h => h.Owner == owner && h.Uid == uid);
        if (removed > 0)
        {
            LogReleased(owner, removed);
            await WriteAsync();
        }
    }

    public async Task Repair()
    {
        var listed = await GrainFactory.GetGrain<IResourceCollectionGrain>("services").List(new ListRequest());
        var named = new Dictionary<string, (string Uid, HashSet<string> Ips, HashSet<int> Ports)>(StringComparer.Ordinal);
        foreach (var item in listed.Items)
        {
            var svc = JsonNode.Parse(item)!.AsObject();
            var owner = (string?)svc["metadata"]?["namespace"] + "/" + (string?)svc["metadata"]?["name"];
            var ips = ServiceSpecs.ClusterIPs(svc).Where(InRange).ToHashSet(StringComparer.Ordinal);
            var ports = ServiceSpecs.NodePorts(svc).Where(p => p >= options.NodePortMin && p <= options.NodePortMax).ToHashSet();
            named[owner] = ((string?)svc["metadata"]?["uid"] ?? "", ips, ports);
        }

        var cutoff = time.GetUtcNow() - options.RepairGracePeriod;
        var changed = 0;
        changed += Holdings.RemoveWhere(S.ClusterIPs, (ip, h) => Holdings.Stale(h, named.TryGetValue(h.Owner, out var n) && n.Ips.Contains(ip), cutoff));
        changed += Holdings.RemoveWhere(S.NodePorts, (port, h) => Holdings.Stale(h, named.TryGetValue(h.Owner, out var n) && n.Ports.Contains(port), cutoff));

        // Services may name what the allocator lost (state written before this feature, or restored from backup).
        var now = time.GetUtcNow();
        foreach (var (owner, (uid, ips, ports)) in named)
        {
            foreach (var ip in ips)
            {
                changed += Holdings.Take(S.ClusterIPs, ip, owner, uid, now, logger) ? 1 : 0;
            }

            foreach (var port in ports)
            {
                changed += Holdings.Take(S.NodePorts, port, owner, uid, now, logger) ? 1 : 0;
            }
        }

        if (changed > 0)
        {
            LogRepaired(changed);
            await WriteAsync();
        }
    }

    public Task<ServiceAllocationSnapshot> Snapshot() => Task.FromResult(new ServiceAllocationSnapshot(
        options.ServiceCidr,
        S.ClusterIPs.ToDictionary(p => p.Key, p => p.Value.Owner, StringComparer.Ordinal),
        S.NodePorts.ToDictionary(p => p.Key, p => p.Value.Owner)));

    public Task ReceiveReminder(string reminderName, TickStatus status) => Repair();

    private static bool Adopt<TKey>(Dictionary<TKey, ServiceHolding> holdings, string owner, string uid)
        where TKey : notnull
    {
        var changed = false;
        foreach (var (key, holding) in holdings.Where(p => p.Value.Owner == owner && p.Value.Uid != uid).ToList())
        {
            holdings[key] = holding with { Uid = uid };
            changed = true;
        }

        return changed;
    }

    private string? NextFreeIp(Func<ServiceHolding, bool> mine)
    {
        // Offsets 0 and size-1 are the network and broadcast addresses; 1 is kept for the kubernetes service.
        var usable = range.Size - 3;
        var start = Math.Clamp(S.NextIpOffset, 2, range.Size - 2);
        for (long i = 0; i < usable; i++)
        {
            var offset = 2 + ((start - 2 + i) % usable);
            var candidate = Address(offset);
            if (!S.ClusterIPs.TryGetValue(candidate, out var holder) || mine(holder))
            {
                return candidate;
            }
        }

        return null;
    }

    private int? NextFreePort(Func<ServiceHolding, bool> mine, HashSet<int> chosen, ref int cursor)
    {
        var count = options.NodePortMax - options.NodePortMin + 1;
        var start = cursor < options.NodePortMin || cursor > options.NodePortMax ? options.NodePortMin : cursor;
        for (var i = 0; i < count; i++)
        {
            var port = options.NodePortMin + ((start - options.NodePortMin + i) % count);
            if (!chosen.Contains(port) && (!S.NodePorts.TryGetValue(port, out var holder) || mine(holder)))
            {
                cursor = port == options.NodePortMax ? options.NodePortMin : port + 1;
                return port;
            }
        }

        return null;
    }

    private async Task WriteAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Memory must not run ahead of storage: start over from what is stored.
            await state.ReadStateAsync();
            throw;
        }

        if (!reminderRegistered && (S.ClusterIPs.Count > 0 || S.NodePorts.Count > 0))
        {
            try
            {
                await this.RegisterOrUpdateReminder(ReminderName, options.RepairPeriod, options.RepairPeriod);
                reminderRegistered = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The allocation stands; the next write tries again.
                LogReminderFailed(ex);
            }
        }
    }

    private static ServiceAllocationResult Refuse(string field, string value, string message, bool exhausted = false) =>
        new() { ErrorField = field, ErrorValue = value, ErrorMessage = message, Exhausted = exhausted };

    private bool InRange(string ip) => range.IsUsable(ip);

    private long? Offset(IPAddress address) => range.Offset(address);

    private string Address(long offset) => range.Address(offset);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Released {Count} addresses and ports of service {Owner}")]
    private partial void LogReleased(string owner, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service allocation repair changed {Count} holdings")]
    private partial void LogRepaired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register the service allocation repair reminder")]
    private partial void LogReminderFailed(Exception ex);
}
