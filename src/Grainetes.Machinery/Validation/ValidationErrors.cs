using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;

namespace Grainetes.Machinery.Validation;

/// <summary>
/// Collects every problem in an object, each as the <see cref="StatusCause"/> Kubernetes would send,
/// with messages worded like k8s.io/apimachinery's <c>field.Error.ErrorBody()</c>.
/// </summary>
public sealed class ValidationErrors
{
    private readonly List<StatusCause> causes = [];

    public IReadOnlyList<StatusCause> Causes => causes;

    public int Count => causes.Count;

    public void Required(string field, string detail = "") =>
        Add("FieldValueRequired", field, WithDetail("Required value", detail));

    public void Invalid(string field, JsonNode? value, string detail) =>
        Add("FieldValueInvalid", field, WithDetail($"Invalid value: {GoFormat.Value(value)}", detail));

    public void Invalid(string field, string value, string detail) =>
        Add("FieldValueInvalid", field, WithDetail($"Invalid value: {GoFormat.Quote(value)}", detail));

    /// <summary>For values that are not plain JSON, already formatted (for example a Go-style map).</summary>
    public void InvalidFormatted(string field, string formattedValue, string detail) =>
        Add("FieldValueInvalid", field, WithDetail($"Invalid value: {formattedValue}", detail));

    public void NotSupported(string field, JsonNode? value, IEnumerable<string> supported) =>
        Add("FieldValueNotSupported", field, $"Unsupported value: {GoFormat.Value(value)}: supported values: {string.Join(", ", supported.Select(GoFormat.Quote))}");

    public void Duplicate(string field, JsonNode? value) =>
        Add("FieldValueDuplicate", field, $"Duplicate value: {GoFormat.Value(value)}");

    public void TooLong(string field, long maxBytes) =>
        Add("FieldValueTooLong", field, $"Too long: may not be more than {maxBytes} bytes");

    public void Forbidden(string field, string detail) =>
        Add("FieldValueForbidden", field, WithDetail("Forbidden", detail));

    public void Add(string reason, string field, string message) => causes.Add(new StatusCause(reason, field, message));

    private static string WithDetail(string head, string detail) => detail.Length == 0 ? head : $"{head}: {detail}";
}
