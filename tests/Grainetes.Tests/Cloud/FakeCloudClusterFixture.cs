namespace Grainetes.Tests.Cloud;

/// <summary>The cluster with <see cref="FakeCloudProvider"/> in use.</summary>
public sealed class FakeCloudClusterFixture() : LoadBalancerClusterFixture(FakeCloudProvider.Name);
