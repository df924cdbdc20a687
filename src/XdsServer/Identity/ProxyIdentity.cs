namespace Mesh.XdsServer.Identity;

/// <summary>
/// Who a connected proxy is: the virtual node or virtual gateway its <c>node.id</c> names. Every proxy with the
/// same identity gets the same configuration, so this is also the key under which snapshots are shared.
/// </summary>
public sealed record ProxyIdentity(MeshKey Mesh, ProxyKind Kind, string Name)
{
    public string ShortForm => $"mesh/{Mesh.MeshName}/{(Kind == ProxyKind.VirtualNode ? "virtualNode" : "virtualGateway")}/{Name}";

    public override string ToString() => $"{Mesh.AccountId}:{ShortForm}";
}
