namespace Mesh.Model.Identity;

/// <summary>One mesh: meshes are named per owning account, so the account is part of the key.</summary>
public readonly record struct MeshKey(string AccountId, string MeshName)
{
    public override string ToString() => $"{AccountId}/{MeshName}";
}
