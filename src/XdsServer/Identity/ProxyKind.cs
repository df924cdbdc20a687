namespace Mesh.XdsServer.Identity;

/// <summary>The App Mesh resource a proxy stands for.</summary>
public enum ProxyKind
{
    VirtualNode,
    VirtualGateway,
}
