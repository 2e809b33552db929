namespace Grainetes.Grains.Cloud;

/// <summary>Which cloud provider serves LoadBalancer services (configuration section <c>Cloud</c>, e.g. <c>Cloud__Provider=local</c>).</summary>
public sealed class CloudOptions
{
    public const string SectionName = "Cloud";

    /// <summary>The DI key of the <see cref="ICloudProvider"/> to use; <c>local</c> gives loopback addresses on every host.</summary>
    public string Provider { get; set; } = LocalCloudProvider.Name;
}
