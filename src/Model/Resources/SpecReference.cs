namespace Mesh.Model.Resources;

/// <summary>A resource that a spec names and that must exist (in the same mesh) when the spec is written.</summary>
public sealed record SpecReference(ResourceKind Kind, string Name, string Path)
{
    /// <summary>The form stored in the resources.refs column, so that "who refers to me?" is one indexed query.</summary>
    public string Key => ToKey(Kind, Name);

    public static string ToKey(ResourceKind kind, string name) => $"{kind.WireName}/{name}";
}
