namespace Grainetes.Tests.Telemetry;

/// <summary>The tests that read the traced cluster's one apply share that cluster.</summary>
[CollectionDefinition(Name)]
public sealed class TracedClusterCollection : ICollectionFixture<TracedClusterFixture>
{
    public const string Name = "traced cluster";
}
