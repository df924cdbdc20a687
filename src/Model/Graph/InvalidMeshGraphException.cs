namespace Mesh.Model.Graph;

/// <summary>Raised when stored rows cannot form a mesh graph; carries every problem found, not just the first.</summary>
public sealed class InvalidMeshGraphException : Exception
{
    public InvalidMeshGraphException(IReadOnlyList<string> errors)
        : base("The mesh graph is invalid: " + string.Join("; ", errors))
    {
        Errors = errors;
    }

    public IReadOnlyList<string> Errors { get; }
}
