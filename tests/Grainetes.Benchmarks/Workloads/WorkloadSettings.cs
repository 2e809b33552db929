namespace Grainetes.Benchmarks.Workloads;

/// <summary>How many times the healing measurements repeat; <c>--quick</c> runs fewer.</summary>
public sealed record WorkloadSettings(int KillRepeats, int DeleteRepeats)
{
    public static WorkloadSettings Full { get; } = new(5, 20);

    public static WorkloadSettings Quick { get; } = new(3, 5);
}
