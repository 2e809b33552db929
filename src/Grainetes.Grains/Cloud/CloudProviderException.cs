namespace Grainetes.Grains.Cloud;

/// <summary>A load balancer the provider cannot make as the service asks; the message says why (it becomes the event's message).</summary>
public sealed class CloudProviderException : Exception
{
    public CloudProviderException()
    {
    }

    public CloudProviderException(string message)
        : base(message)
    {
    }

    public CloudProviderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
