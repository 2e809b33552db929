namespace Grainetes.Grains.Services;

/// <summary>Who holds an address or port: the service (<c>namespace/name</c>), its uid, and since when.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.ServiceHolding")]
public sealed record ServiceHolding(
    [property: Id(0)] string Owner,
    [property: Id(1)] string Uid,
    [property: Id(2)] DateTimeOffset Since);
