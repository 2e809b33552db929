using System.Text.Json.Nodes;
using Grainetes.Abstractions.Cloud;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Services;
using Grainetes.Grains.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Cloud;

/// <summary>
/// The local cloud provider's addresses: one grain-state row, turns serialized, every change written before it is
/// answered (as <see cref="ServiceIpAllocatorGrain"/>, whose holding and repair rules it shares through <see cref="Holdings"/>).
/// </summary>
public sealed partial class LoadBalancerIpAllocatorGrain : Grain, ILoadBalancerIpAllocatorGrain, IRemindable
{
    private const string ReminderName = "repair";

    private readonly IPersistentState<LoadBalancerAllocationsState> state;
    private readonly LocalCloudOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<LoadBalancerIpAllocatorGrain> logger;
    private readonly Ipv4Range range;
    private bool reminderRegistered;

    public LoadBalancerIpAllocatorGrain(
        [PersistentState("loadBalancerAllocations", ObjectGrain.StorageName)] IPersistentState<LoadBalancerAllocationsState> state,
        IOptions<LocalCloudOptions> options,
        TimeProvider time,
        ILogger<LoadBalancerIpAllocatorGrain> logger)
    {
        this.state = state;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        range = new Ipv4Range(this.options.AddressRange);
    }

    private Dictionary<string, ServiceHolding> Held => state.State.Addresses;

    public async Task<LoadBalancerAllocation> Allocate(string owner, string uid, string? requested)
    {
        // A name has one live incarnation: what an earlier one left (a lost release) is this one's to reuse.
        var current = Held.Where(p => p.Value.Owner == owner).Select(p => p.Key).FirstOrDefault();
        string address;
        if (requested is { Length: > 0 })
        {
            if (!range.IsUsable(requested))
            {
                return new LoadBalancerAllocation(null, $"requested loadBalancerIP {requested} is not in the local range {range.Cidr}");
            }

            if (Held.TryGetValue(requested, out var holder) && holder.Owner != owner)
            {
                return new LoadBalancerAllocation(null, $"requested loadBalancerIP {requested} is already allocated to service {holder.Owner}");
            }

            address = requested;
        }
        else if (current is not null)
        {
            address = current;
        }
        else if (NextFree() is { } free)
        {
            address = free;
            state.State.NextOffset = range.Offset(free)!.Value + 1;
        }
        else
        {
            return new LoadBalancerAllocation(null, $"no free address left in the local range {range.Cidr}");
        }

        var changed = Holdings.RemoveWhere(Held, (ip, h) => h.Owner == owner && ip != address) > 0;
        changed |= Holdings.Hold(Held, address, owner, uid, time.GetUtcNow());
        if (changed)
        {
            await WriteAsync();
            LogAllocated(owner, address);
        }

        return new LoadBalancerAllocation(address, null);
    }

    public Task<string?> Lookup(string owner, string uid) =>
        Task.FromResult(Held.Where(p => p.Value.Owner == owner && p.Value.Uid == uid).Select(p => p.Key).FirstOrDefault());

    public async Task Release(string owner, string uid)
    {
        if (Holdings.RemoveWhere(Held, h => h.Owner == owner && (uid.Length == 0 || h.Uid == uid)) > 0)
        {
            LogReleased(owner);
            await WriteAsync();
        }
    }

    public async Task Repair()
    {
        var listed = await GrainFactory.GetGrain<IResourceCollectionGrain>("services").List(new ListRequest());
        var named = new Dictionary<string, (string Uid, string? Address)>(StringComparer.Ordinal);
        foreach (var svc in listed.Items.Select(i => JsonNode.Parse(i)!.AsObject()))
        {
            if (ServiceSpecs.Type(svc) != "LoadBalancer")
            {
                continue;
            }

            var owner = ServiceSpecs.Str(svc["metadata"]?["namespace"]) + "/" + ServiceSpecs.Str(svc["metadata"]?["name"]);
            var address = (svc["status"]?["loadBalancer"]?["ingress"] as JsonArray)?.OfType<JsonObject>()
                .Select(i => ServiceSpecs.Str(i["ip"])).FirstOrDefault(ip => ip is not null && range.IsUsable(ip));
            named[owner] = (ServiceSpecs.Str(svc["metadata"]?["uid"]) ?? "", address);
        }

        // A LoadBalancer service whose status names no address yet still owns what it holds: its controller is at work.
        var cutoff = time.GetUtcNow() - options.RepairGracePeriod;
        var changed = Holdings.RemoveWhere(Held, (ip, h) =>
            Holdings.Stale(h, named.TryGetValue(h.Owner, out var n) && (n.Address is null || n.Address == ip), cutoff));
        var now = time.GetUtcNow();
        foreach (var (owner, (uid, address)) in named)
        {
            if (address is not null && Holdings.Take(Held, address, owner, uid, now, logger))
            {
                changed++;
            }
        }

        if (changed > 0)
        {
            LogRepaired(changed);
            await WriteAsync();
        }
    }

    public Task<IReadOnlyDictionary<string, string>> Snapshot() =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(Held.ToDictionary(p => p.Key, p => p.Value.Owner, StringComparer.Ordinal));

    public Task ReceiveReminder(string reminderName, TickStatus status) => Repair();

    private string? NextFree()
    {
        // Offsets 0 and Size-1 are the network and broadcast addresses.
        var usable = range.Size - 2;
        var start = Math.Clamp(state.State.NextOffset, 1, range.Size - 2);
        for (long i = 0; i < usable; i++)
        {
            var candidate = range.Address(1 + ((start - 1 + i) % usable));
            if (!Held.ContainsKey(candidate))
            {
                return candidate;
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

        if (!reminderRegistered && Held.Count > 0)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Load balancer address {Address} allocated to service {Owner}")]
    private partial void LogAllocated(string owner, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Load balancer address of service {Owner} released")]
    private partial void LogReleased(string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Load balancer address repair changed {Count} holdings")]
    private partial void LogRepaired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register the load balancer address repair reminder")]
    private partial void LogReminderFailed(Exception ex);
}
