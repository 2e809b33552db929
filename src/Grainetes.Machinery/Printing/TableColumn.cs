using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Printing;

/// <summary>One <c>columnDefinitions</c> entry of a <c>meta.k8s.io/v1 Table</c>.</summary>
/// <param name="Priority">0 for the default view; 1 for columns kubectl shows only with <c>-o wide</c>.</param>
public sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority = 0)
{
    public static TableColumn NameColumn { get; } = new("Name", "string", "name",
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.");

    public static TableColumn AgeColumn { get; } = new("Age", "string", "",
        "CreationTimestamp is a timestamp representing the server time when this object was created.");

    public static TableColumn Text(string name, string description, int priority = 0) => new(name, "string", "", description, priority);

    public static TableColumn Integer(string name, string description, int priority = 0) => new(name, "integer", "", description, priority);

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["type"] = Type,
        ["format"] = Format,
        ["description"] = Description,
        ["priority"] = Priority,
    };
}
