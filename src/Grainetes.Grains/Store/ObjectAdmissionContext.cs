using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Resources;

namespace Grainetes.Grains.Store;

/// <summary>The write an admission hook sees: which object, of which kind, and whether it is a dry run.</summary>
public sealed record ObjectAdmissionContext(ObjectKey Key, ResourceType Type, bool DryRun);
