namespace Grainetes.Machinery.Autoscaling;

/// <summary>What one metric asks for.</summary>
/// <param name="Utilization">The pods' average utilization of their requests in percent (utilization targets only).</param>
/// <param name="AverageMilli">The pods' average usage in thousandths of the unit.</param>
public sealed record ReplicaProposal(int Replicas, int? Utilization, long AverageMilli);
