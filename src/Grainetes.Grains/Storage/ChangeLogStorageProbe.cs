using Grainetes.Abstractions.Health;

namespace Grainetes.Grains.Storage;

/// <summary>Storage readiness as the change log store sees it.</summary>
public sealed class ChangeLogStorageProbe(ChangeLogStore store) : IStorageProbe
{
    public Task<bool> IsReachableAsync(CancellationToken cancellationToken) => store.PingAsync(cancellationToken);
}
