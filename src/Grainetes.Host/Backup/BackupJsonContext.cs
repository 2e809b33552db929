using System.Text.Json.Serialization;

namespace Grainetes.Host.Backup;

/// <summary>Source-generated (de)serialization of the backup's header and body lines.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BackupHeader))]
[JsonSerializable(typeof(BackupEntry))]
internal sealed partial class BackupJsonContext : JsonSerializerContext;
