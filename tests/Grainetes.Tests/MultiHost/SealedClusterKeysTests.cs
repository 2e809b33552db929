using Grainetes.Host.Security;

namespace Grainetes.Tests.MultiHost;

/// <summary>The cluster's keys as the storage account holds them: only the cluster's secret, for that cluster id, opens them.</summary>
public sealed class SealedClusterKeysTests
{
    private static readonly ClusterKeys Keys = ClusterKeys.Create(TimeProvider.System);

    [Fact]
    public void TheSecretThatSealedThemOpensThem()
    {
        var secret = ClusterSecret.Create();
        var opened = SealedClusterKeys.Seal(Keys, ClusterSecret.Parse(secret.Text), "grainetes").Unseal(secret, "grainetes");
        Assert.Equal(Keys, opened);
    }

    [Fact]
    public void AnotherSecretOrClusterIdIsRefusedWithAClearError()
    {
        var sealedKeys = SealedClusterKeys.Seal(Keys, ClusterSecret.Create(), "grainetes");
        var wrong = Assert.Throws<ClusterJoinException>(() => sealedKeys.Unseal(ClusterSecret.Create(), "grainetes"));
        Assert.Contains("wrong secret", wrong.Message, StringComparison.Ordinal);
        Assert.Throws<ClusterJoinException>(() => sealedKeys.Unseal(ClusterSecret.Create(), "another-cluster"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-secret")]
    [InlineData("AAAAC9jtIoS3T8P8aPPqqq1kKbOwtaFq0NfBUJg2WQ")]
    public void AMalformedSecretIsRefusedBeforeAnyStorageCall(string text)
    {
        var error = Assert.Throws<ClusterJoinException>(() => ClusterSecret.Parse(text));
        Assert.Contains("malformed", error.Message, StringComparison.Ordinal);
    }
}
