using System.Text.Json.Nodes;

namespace Mesh.Model.Wire;

/// <summary>
/// The outcome of checking a JSON value against a shape: every violation found (never just the first),
/// and a copy of the value holding only the members the model knows.
/// </summary>
public sealed record ValidationResult(JsonNode? Value, IReadOnlyList<Violation> Violations)
{
    public bool IsValid => Violations.Count == 0;
}
