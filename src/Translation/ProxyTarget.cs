using Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// Who the configuration is for. For <see cref="ProxyTargetKind.Proxyless"/>, <see cref="ListenerNames"/> holds the
/// Listener names the client subscribed to (gRPC asks for <c>xds:///NAME</c> as Listener <c>NAME</c>).
/// </summary>
public sealed record ProxyTarget
{
    private ProxyTarget(ProxyTargetKind kind, string name, EquatableList<string> listenerNames)
    {
        Kind = kind;
        Name = name;
        ListenerNames = listenerNames;
    }

    public ProxyTargetKind Kind { get; }

    /// <summary>The virtual node or virtual gateway name; empty for proxyless clients.</summary>
    public string Name { get; }

    public EquatableList<string> ListenerNames { get; }

    public static ProxyTarget VirtualNode(string name) => new(ProxyTargetKind.VirtualNode, name, []);

    public static ProxyTarget VirtualGateway(string name) => new(ProxyTargetKind.VirtualGateway, name, []);

    public static ProxyTarget Proxyless(IEnumerable<string> listenerNames) =>
        new(ProxyTargetKind.Proxyless, "", listenerNames.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToEquatableList());

    public static ProxyTarget Proxyless(params string[] listenerNames) => Proxyless((IEnumerable<string>)listenerNames);
}
