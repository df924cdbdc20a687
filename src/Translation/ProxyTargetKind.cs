namespace Mesh.Translation;

/// <summary>What kind of client a translation is for.</summary>
public enum ProxyTargetKind
{
    /// <summary>An Envoy sidecar standing for a virtual node.</summary>
    VirtualNode,

    /// <summary>An Envoy standing for a virtual gateway.</summary>
    VirtualGateway,

    /// <summary>A proxyless gRPC client asking for Listeners by name (<c>&lt;virtual service&gt;[:&lt;port&gt;]</c>).</summary>
    Proxyless,
}
