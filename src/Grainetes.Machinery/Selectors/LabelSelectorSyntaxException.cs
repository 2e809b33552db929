namespace Grainetes.Machinery.Selectors;

/// <summary>A requirement the parser rejects; becomes the text after "unable to parse requirement: ".</summary>
internal sealed class LabelSelectorSyntaxException(string message) : Exception(message);
