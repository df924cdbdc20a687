namespace Mesh.Model.Observability;

/// <summary>A tracing tag whose value cannot be used, named by its key (empty when the tags as a whole could not be read).</summary>
public sealed record TracingTagProblem(string Key, string Message)
{
    public override string ToString() => Key.Length == 0 ? Message : $"tag {Key}: {Message}";
}
