namespace Grainetes.Machinery.Autoscaling;

/// <summary>A metric gave no replica count (no metrics, no pods, a missing request); the message is Kubernetes'.</summary>
public sealed class ReplicaCalculationException : Exception
{
    public ReplicaCalculationException()
    {
    }

    public ReplicaCalculationException(string message)
        : base(message)
    {
    }

    public ReplicaCalculationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
