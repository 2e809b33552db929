namespace Grainetes.Benchmarks;

public sealed record FloorResults(Measurement SequentialInsert, Measurement ConcurrentInsert, Measurement PointRead);
