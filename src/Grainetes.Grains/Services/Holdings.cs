using Microsoft.Extensions.Logging;

namespace Grainetes.Grains.Services;

/// <summary>
/// The bookkeeping every address and port allocator shares: a map from what is held to the service holding it,
/// and the repair rules (free what no service names after a grace period; take back what a service names but
/// the map lost).
/// </summary>
internal static partial class Holdings
{
    /// <summary>Records a holding found in a service but missing from the map; a value held by another service is left (and logged).</summary>
    public static bool Take<TKey>(Dictionary<TKey, ServiceHolding> holdings, TKey key, string owner, string uid, DateTimeOffset now, ILogger logger)
        where TKey : notnull
    {
        if (holdings.TryGetValue(key, out var holder))
        {
            if (holder.Owner != owner)
            {
                LogDoubleAllocation(logger, key.ToString() ?? "", owner, holder.Owner);
            }

            return false;
        }

        holdings[key] = new ServiceHolding(owner, uid, now);
        return true;
    }

    /// <summary>A holding no service names, old enough that no write naming it can still be in flight.</summary>
    public static bool Stale(ServiceHolding holding, bool named, DateTimeOffset cutoff) => !named && holding.Since < cutoff;

    /// <summary>Holds the value for the owner's incarnation; false when it already did.</summary>
    public static bool Hold<TKey>(Dictionary<TKey, ServiceHolding> holdings, TKey key, string owner, string uid, DateTimeOffset now)
        where TKey : notnull
    {
        if (holdings.TryGetValue(key, out var existing) && existing.Owner == owner && existing.Uid == uid)
        {
            return false;
        }

        holdings[key] = new ServiceHolding(owner, uid, now);
        return true;
    }

    public static int RemoveWhere<TKey>(Dictionary<TKey, ServiceHolding> holdings, Func<ServiceHolding, bool> predicate)
        where TKey : notnull => RemoveWhere(holdings, (_, h) => predicate(h));

    public static int RemoveWhere<TKey>(Dictionary<TKey, ServiceHolding> holdings, Func<TKey, ServiceHolding, bool> predicate)
        where TKey : notnull
    {
        var doomed = holdings.Where(p => predicate(p.Key, p.Value)).Select(p => p.Key).ToList();
        foreach (var key in doomed)
        {
            holdings.Remove(key);
        }

        return doomed.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Value} is named by service {Owner} but allocated to {Holder}")]
    private static partial void LogDoubleAllocation(ILogger logger, string value, string owner, string holder);
}
