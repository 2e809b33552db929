namespace Grainetes.Benchmarks;

public sealed record ApiResults(
    Measurement SequentialCreate,
    Measurement ConcurrentCreate,
    Measurement Get,
    Measurement List,
    int ListItems,
    int ListBytes,
    Measurement Patch,
    Measurement WatchDelay,
    Measurement Delete);
