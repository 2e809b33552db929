namespace Grainetes.Machinery.Errors;

/// <summary>One reason a request was refused, as Kubernetes reports it in <c>Status.details.causes</c>.</summary>
/// <param name="Reason">A machine-readable reason such as <c>FieldValueInvalid</c> or <c>FieldValueRequired</c>.</param>
/// <param name="Field">The JSON path of the offending field, for example <c>metadata.name</c>.</param>
/// <param name="Message">What is wrong, for a person.</param>
public sealed record StatusCause(string Reason, string Field, string Message);
