using System.Text.Json.Serialization;

namespace Grainetes.NodeAgent.Runtime.Process;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ProcessContainerRecord))]
[JsonSerializable(typeof(ProcessSandboxRecord))]
internal sealed partial class ProcessRuntimeJsonContext : JsonSerializerContext;
