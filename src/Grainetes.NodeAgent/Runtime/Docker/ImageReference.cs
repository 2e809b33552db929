namespace Grainetes.NodeAgent.Runtime.Docker;

/// <summary>An image reference split as the Engine's create-image call wants it: repository, and tag or digest.</summary>
internal readonly record struct ImageReference(string Repository, string Tag)
{
    public static ImageReference Parse(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            return new ImageReference(image[..at], image[(at + 1)..]);
        }

        // A colon after the last slash separates the tag; one before it is a registry's port.
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/')
            ? new ImageReference(image[..colon], image[(colon + 1)..])
            : new ImageReference(image, "latest");
    }
}
