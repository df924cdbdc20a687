using System.Text.Json.Nodes;

namespace Mesh.Model.Wire;

/// <summary>
/// The outcome of checking a JSON value against a shape: every violation found (never just the first),
/// and the value holding only the members the model knows (the value given, cleaned in place; see
/// <see cref="ShapeValidator"/>).
/// </summary>
public sealed record ValidationResult(JsonNode? Value, IReadOnlyList<Violation> Violations)
{
    public bool IsValid => Violations.Count == 0;
}
