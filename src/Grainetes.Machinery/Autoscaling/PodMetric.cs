namespace Grainetes.Machinery.Autoscaling;

/// <summary>One pod's usage of a resource as the Metrics API reports it: summed over its containers, in thousandths.</summary>
public sealed record PodMetric(long ValueMilli, DateTimeOffset Timestamp, TimeSpan Window);
