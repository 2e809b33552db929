namespace Grainetes.Tests.EndToEnd;

/// <summary>End-to-end tests share one running cluster and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
