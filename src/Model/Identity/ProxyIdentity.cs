namespace Mesh.Model.Identity;

/// <summary>
/// Who a connected proxy is: the virtual node or virtual gateway its <c>node.id</c> names, in the account that owns
/// its mesh. Every proxy with the same identity gets the same configuration, so this is also the key under which
/// snapshots are shared.
/// </summary>
public sealed record ProxyIdentity(MeshKey Mesh, ProxyKind Kind, string Name)
{
    public string ShortForm => $"mesh/{Mesh.MeshName}/{Kind.WireName()}/{Name}";

    /// <summary>The full ARN of the node or gateway, as policies and proxy status name it.</summary>
    public string ToArn(string region) => Arn.AppMesh(region, Mesh.AccountId, ShortForm).ToString();

    public override string ToString() => $"{Mesh.AccountId}:{ShortForm}";
}
