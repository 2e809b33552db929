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
    private readonly uint baseAddress;
    private readonly long size;
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
        var network = IPNetwork.Parse(this.options.ServiceCidr);
        if (network.BaseAddress.AddressFamily != AddressFamily.InterNetwork || network.PrefixLength > 30)
        {
            throw new InvalidOperationException($"The service CIDR {this.options.ServiceCidr} must be an IPv4 range of at least 4 addresses.");
        }

        baseAddress = ToUInt32(network.BaseAddress);
        size = 1L << (32 - network.PrefixLength);
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
                || offset == 0 || offset == size - 1)
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
            changed |= RemoveWhere(S.ClusterIPs, h => h.Owner == request.Owner) > 0;
            changed |= RemoveWhere(S.NodePorts, h => h.Owner == request.Owner) > 0;
        }

        if (ip is not null)
        {
            changed |= Hold(S.ClusterIPs, ip, request, now);
            if (request.ClusterIP is { Length: 0 })
            {
                S.NextIpOffset = (Offset(IPAddress.Parse(ip))!.Value + 1) % size;
            }
        }

        foreach (var port in chosen)
        {
            changed |= Hold(S.NodePorts, port, request, now);
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
        var changed = RemoveWhere(S.ClusterIPs, (ip, h) => h.Owner == owner && ip != clusterIP) > 0;
        changed |= RemoveWhere(S.NodePorts, (port, h) => h.Owner == owner && !nodePorts.Contains(port)) > 0;
        changed |= Adopt(S.ClusterIPs, owner, uid);
        changed |= Adopt(S.NodePorts, owner, uid);
        if (changed)
        {
            await WriteAsync();
        }
    }

    public async Task Release(string owner, string uid)
    {
        var removed = RemoveWhere(S.ClusterIPs, h => h.Owner == owner && h.Uid == uid) + RemoveWhere(S.NodePorts, h => h.Owner == owner && h.Uid == uid);
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
        changed += RemoveWhere(S.ClusterIPs, (ip, h) => Stale(h, named.TryGetValue(h.Owner, out var n) && n.Ips.Contains(ip), cutoff));
        changed += RemoveWhere(S.NodePorts, (port, h) => Stale(h, named.TryGetValue(h.Owner, out var n) && n.Ports.Contains(port), cutoff));

        // Services may name what the allocator lost (state written before this feature, or restored from backup).
        var now = time.GetUtcNow();
        foreach (var (owner, (uid, ips, ports)) in named)
        {
            foreach (var ip in ips)
            {
                changed += Take(S.ClusterIPs, ip, owner, uid, now) ? 1 : 0;
            }

            foreach (var port in ports)
            {
                changed += Take(S.NodePorts, port, owner, uid, now) ? 1 : 0;
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

    private bool Take<TKey>(Dictionary<TKey, ServiceHolding> holdings, TKey key, string owner, string uid, DateTimeOffset now)
        where TKey : notnull
    {
        if (holdings.TryGetValue(key, out var holder))
        {
            if (holder.Owner != owner)
            {
                LogDoubleAllocation(key.ToString() ?? "", owner, holder.Owner);
            }

            return false;
        }

        holdings[key] = new ServiceHolding(owner, uid, now);
        return true;
    }

    private static bool Stale(ServiceHolding holding, bool named, DateTimeOffset cutoff) => !named && holding.Since < cutoff;

    private static bool Hold<TKey>(Dictionary<TKey, ServiceHolding> holdings, TKey key, ServiceAllocationRequest request, DateTimeOffset now)
        where TKey : notnull
    {
        if (holdings.TryGetValue(key, out var existing) && existing.Owner == request.Owner && existing.Uid == request.Uid)
        {
            return false;
        }

        holdings[key] = new ServiceHolding(request.Owner, request.Uid, now);
        return true;
    }

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

    private static int RemoveWhere<TKey>(Dictionary<TKey, ServiceHolding> holdings, Func<ServiceHolding, bool> predicate)
        where TKey : notnull => RemoveWhere(holdings, (_, h) => predicate(h));

    private static int RemoveWhere<TKey>(Dictionary<TKey, ServiceHolding> holdings, Func<TKey, ServiceHolding, bool> predicate)
        where TKey : notnull
    {
        var doomed = holdings.Where(p => predicate(p.Key, p.Value)).Select(p => p.Key).ToList();
        foreach (var key in doomed)
        {
            holdings.Remove(key);
        }

        return doomed.Count;
    }

    private string? NextFreeIp(Func<ServiceHolding, bool> mine)
    {
        // Offsets 0 and size-1 are the network and broadcast addresses; 1 is kept for the kubernetes service.
        var usable = size - 3;
        var start = Math.Clamp(S.NextIpOffset, 2, size - 2);
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

    private bool InRange(string ip) =>
        IPAddress.TryParse(ip, out var address) && address.AddressFamily == AddressFamily.InterNetwork && Offset(address) is > 0 and var o && o < size - 1;

    private long? Offset(IPAddress address)
    {
        var offset = (long)ToUInt32(address) - baseAddress;
        return offset >= 0 && offset < size ? offset : null;
    }

    private string Address(long offset)
    {
        var value = (uint)(baseAddress + offset);
        return new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]).ToString();
    }

    private static uint ToUInt32(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Released {Count} addresses and ports of service {Owner}")]
    private partial void LogReleased(string owner, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service allocation repair changed {Count} holdings")]
    private partial void LogRepaired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Value} is named by service {Owner} but allocated to {Holder}")]
    private partial void LogDoubleAllocation(string value, string owner, string holder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register the service allocation repair reminder")]
    private partial void LogReminderFailed(Exception ex);
}
