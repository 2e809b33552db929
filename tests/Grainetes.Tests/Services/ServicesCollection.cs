namespace Grainetes.Tests.Services;

/// <summary>The service tests share one cluster (each test in its own namespace) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ServicesCollection : ICollectionFixture<ServicesClusterFixture>
{
    public const string Name = "services";
}
