namespace Grainetes.Tests.Controllers;

/// <summary>The controller tests share one cluster (each test in its own namespace) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ControllersCollection : ICollectionFixture<ControllersClusterFixture>
{
    public const string Name = "controllers";
}
