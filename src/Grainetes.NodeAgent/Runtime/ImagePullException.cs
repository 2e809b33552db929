namespace Grainetes.NodeAgent.Runtime;

/// <summary>An image could not be made available; the pod shows <c>ErrImagePull</c> / <c>ImagePullBackOff</c>.</summary>
public sealed class ImagePullException(string image, string message, Exception? inner = null)
    : Exception($"failed to pull image \"{image}\": {message}", inner)
{
    public string Image { get; } = image;
}
