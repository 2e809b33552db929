namespace Grainetes.Machinery.Autoscaling;

/// <summary>A <c>Resource</c> metric of an HPA: a resource (cpu, memory) and either a utilization of requests or an average value.</summary>
/// <param name="AverageUtilization">Target percentage of the pods' requests; null when the target is an average value.</param>
/// <param name="AverageValueMilli">Target average per pod in thousandths of the unit (millicores for cpu).</param>
public sealed record ResourceMetricTarget(string Resource, int? AverageUtilization, long? AverageValueMilli)
{
    /// <summary>How the HPA names this metric in its conditions and events.</summary>
    public string Description => AverageUtilization is not null
        ? $"{Resource} resource utilization (percentage of request)"
        : $"{Resource} resource";
}
