using Orleans.Concurrency;

namespace Grainetes.Abstractions.Quota;

/// <summary>
/// Kubernetes' ResourceQuota and LimitRanger admission plus the quota controller for one namespace (the key).
/// Turns are serialized, so checking a write against the quotas and holding its charge is one step: two
/// concurrent creates cannot both take the last unit. Usage is kept per object (committed writes report it,
/// a resync rebuilds it from the store), charges of writes in flight are held until their commit reports or
/// they fail, and <c>status.used</c> of each quota is written from that.
/// </summary>
public interface IResourceQuotaGrain : IGrainWithStringKey
{
    /// <summary>
    /// Admits a create or update: applies the namespace's LimitRange defaults and limits (pod creates), checks
    /// the quotas and, unless a dry run, holds the write's charge.
    /// </summary>
    Task<QuotaAdmissionResult> Admit(QuotaAdmissionRequest request);

    /// <summary>A committed write: the object's usage is now <paramref name="usage"/> (null once it is gone).</summary>
    Task Observe(string uid, IReadOnlyDictionary<string, decimal>? usage);

    /// <summary>A write that was admitted but not committed: its held charge goes back.</summary>
    Task Release(string uid);

    /// <summary>A ResourceQuota or LimitRange of the namespace changed: reload them before the next admission.</summary>
    /// <remarks>Interleaves because the grain's status writes run through the quota objects that call it.</remarks>
    [AlwaysInterleave]
    Task PoliciesChanged();

    /// <summary>Rebuilds usage from the store and writes every quota's status (the reminder's backstop, also for tests).</summary>
    Task Resync();

    /// <summary>The usage the next admission counts against the quotas (committed plus held), for diagnostics and tests.</summary>
    Task<IReadOnlyDictionary<string, decimal>> Used();
}
