namespace Grainetes.NodeAgent.Kubelet;

internal enum ProbeKind
{
    Startup,
    Liveness,
    Readiness,
}
