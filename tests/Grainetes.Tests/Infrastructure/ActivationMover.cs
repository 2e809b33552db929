using Orleans.Core.Internal;
using Orleans.Runtime.Placement;

namespace Grainetes.Tests.Infrastructure;

/// <summary>Migrates activations to a chosen silo (Orleans' placement hint and <c>MigrateOnIdle</c>), for tests that kill that silo.</summary>
internal static class ActivationMover
{
    /// <summary>
    /// Asks <paramref name="grain"/> to move to <paramref name="silo"/> until it lives there or <paramref name="timeout"/>
    /// passes (a busy grain may not go idle in time); answers whether it got there. Transient failures are retried.
    /// </summary>
    public static async Task<bool> TryMoveAsync(IGrainFactory grains, IAddressable grain, SiloAddress silo, TimeSpan timeout)
    {
        var directory = grains.GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (silo.Equals(await directory.GetActivationAddress(grain)))
                {
                    return true;
                }

                RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
                try
                {
                    await grain.AsReference<IGrainManagementExtension>().MigrateOnIdle();
                }
                finally
                {
                    RequestContext.Remove(IPlacementDirector.PlacementHintKey);
                }
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                // Asked again below, until the deadline.
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }
    }
}
