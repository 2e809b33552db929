namespace Grainetes.Tests.Controllers;

/// <summary>Controller tests on a two-silo cluster (each test in its own namespace), run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class MultiSiloCollection : ICollectionFixture<MultiSiloClusterFixture>
{
    public const string Name = "controllers-multisilo";
}
