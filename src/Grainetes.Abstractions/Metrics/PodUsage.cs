namespace Grainetes.Abstractions.Metrics;

/// <summary>
/// One pod's usage as its node agent measured it: the rates are averages over <see cref="Window"/>, which ends
/// at <see cref="Timestamp"/> (the Metrics API's <c>timestamp</c> and <c>window</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("grainetes.PodUsage")]
public sealed record PodUsage(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] string Uid,
    [property: Id(3)] DateTimeOffset Timestamp,
    [property: Id(4)] TimeSpan Window,
    [property: Id(5)] IReadOnlyList<ContainerUsage> Containers);
