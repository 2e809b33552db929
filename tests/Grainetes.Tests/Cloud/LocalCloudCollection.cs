namespace Grainetes.Tests.Cloud;

/// <summary>The local-provider tests share one cluster (each test in its own namespace) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class LocalCloudCollection : ICollectionFixture<LocalCloudClusterFixture>
{
    public const string Name = "local cloud";
}
