namespace Mesh.Model.Wire;

/// <summary>One broken rule, named by the JSON path of the member that breaks it.</summary>
public sealed record Violation(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
