namespace Grainetes.Host.Security;

/// <summary>A host cannot take part in the cluster (wrong or missing secret, no cluster to join); the message says what to do.</summary>
public sealed class ClusterJoinException(string message, Exception? inner = null) : Exception(message, inner);
