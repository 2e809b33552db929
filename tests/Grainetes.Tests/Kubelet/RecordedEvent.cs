namespace Grainetes.Tests.Kubelet;

internal sealed record RecordedEvent(string Type, string Reason, string Message, string? FieldPath);
