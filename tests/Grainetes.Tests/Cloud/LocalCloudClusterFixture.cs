namespace Grainetes.Tests.Cloud;

/// <summary>The cluster with the built-in <c>local</c> provider in use.</summary>
public sealed class LocalCloudClusterFixture() : LoadBalancerClusterFixture("local");
