namespace Grainetes.Benchmarks;

/// <summary>How many operations each phase runs; <c>--quick</c> divides every count by five for a smoke check.</summary>
public sealed record BenchmarkOptions
{
    public bool Quick { get; init; }

    public int SequentialCreates { get; init; } = 500;

    public int ConcurrentCreates { get; init; } = 2000;

    public int Concurrency { get; init; } = 32;

    public int Gets { get; init; } = 500;

    public int ListObjects { get; init; } = 1000;

    public int Lists { get; init; } = 50;

    public int WatchUpdates { get; init; } = 200;

    public int Deletes { get; init; } = 500;

    public int FloorInserts { get; init; } = 500;

    public int FloorConcurrentInserts { get; init; } = 2000;

    public int FloorReads { get; init; } = 500;

    /// <summary>Unmeasured operations per kind before measuring, so JIT and first connections are not in the figures.</summary>
    public int Warmup { get; init; } = 50;

    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions();
        foreach (var arg in args)
        {
            switch (arg)
            {
                case "--quick":
                    options = options.Scaled(5);
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{arg}'; usage: Grainetes.Benchmarks [--quick]");
            }
        }

        return options;
    }

    private BenchmarkOptions Scaled(int divisor) => this with
    {
        Quick = true,
        SequentialCreates = SequentialCreates / divisor,
        ConcurrentCreates = ConcurrentCreates / divisor,
        Gets = Gets / divisor,
        ListObjects = ListObjects / divisor,
        Lists = Lists / divisor,
        WatchUpdates = WatchUpdates / divisor,
        Deletes = Deletes / divisor,
        FloorInserts = FloorInserts / divisor,
        FloorConcurrentInserts = FloorConcurrentInserts / divisor,
        FloorReads = FloorReads / divisor,
        Warmup = Warmup / divisor,
    };
}
