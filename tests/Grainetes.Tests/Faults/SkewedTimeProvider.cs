namespace Grainetes.Tests.Faults;

/// <summary>The system clock moved by a fixed offset: a host whose wall clock is wrong. Timers still run at real speed.</summary>
internal sealed class SkewedTimeProvider(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
