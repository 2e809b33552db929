using Microsoft.Extensions.Logging;

namespace Grainetes.NodeAgent.Kubelet;

internal static partial class PodWorkerLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync of pod {Namespace}/{Name} failed; retrying")]
    public static partial void SyncFailed(ILogger logger, Exception exception, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted {Count} existing containers of pod {Namespace}/{Name}")]
    public static partial void Adopted(ILogger logger, int count, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started container {Container} (attempt {Attempt}) of pod {Namespace}/{Name}: {ContainerId}")]
    public static partial void ContainerStarted(ILogger logger, string container, int attempt, string @namespace, string name, string containerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report the status of pod {Namespace}/{Name}")]
    public static partial void ReportFailed(ILogger logger, Exception exception, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not record event {Reason} for pod {Namespace}/{Name}")]
    public static partial void EventFailed(ILogger logger, Exception exception, string reason, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove container {ContainerId} of pod {Namespace}/{Name}")]
    public static partial void RemoveFailed(ILogger logger, Exception exception, string containerId, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not start container {Container} of pod {Namespace}/{Name}")]
    public static partial void StartFailed(ILogger logger, Exception exception, string container, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Namespace}/{Name} terminated")]
    public static partial void Terminated(ILogger logger, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote the files of volume {Volume} of pod {Namespace}/{Name}")]
    public static partial void VolumeWritten(ILogger logger, string volume, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not set up volume {Volume} of pod {Namespace}/{Name}: {Reason}")]
    public static partial void VolumeFailed(ILogger logger, string volume, string @namespace, string name, string reason);
}
