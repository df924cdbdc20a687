namespace Mesh.Webhook.Injection;

/// <summary>
/// The pod annotations App Mesh's Kubernetes injector read, with the same names and meanings, plus two of ours. The
/// namespace label <see cref="NamespaceLabel"/> is honoured by the MutatingWebhookConfiguration's namespaceSelector
/// (the API server only calls the webhook for pods in such namespaces), exactly as App Mesh's controller did.
/// </summary>
public static class Annotations
{
    public const string NamespaceLabel = "appmesh.k8s.aws/sidecarInjectorWebhook";

    /// <summary><c>disabled</c> on a pod opts it out.</summary>
    public const string SidecarInjectorWebhook = "appmesh.k8s.aws/sidecarInjectorWebhook";

    public const string Mesh = "appmesh.k8s.aws/mesh";
    public const string VirtualNode = "appmesh.k8s.aws/virtualNode";
    public const string VirtualGateway = "appmesh.k8s.aws/virtualGateway";

    /// <summary>Comma-separated application ports redirected to Envoy's ingress; default: every containerPort.</summary>
    public const string Ports = "appmesh.k8s.aws/ports";

    public const string EgressIgnoredPorts = "appmesh.k8s.aws/egressIgnoredPorts";
    public const string EgressIgnoredIps = "appmesh.k8s.aws/egressIgnoredIPs";
    public const string CpuRequests = "appmesh.k8s.aws/cpuRequests";
    public const string MemoryRequests = "appmesh.k8s.aws/memoryRequests";

    /// <summary>Ours: the Secret with this proxy's xDS credentials, instead of the webhook's default.</summary>
    public const string CredentialsSecret = "mesh-proxy/credentials-secret";

    /// <summary>
    /// Ours: <c>true</c> on a virtual node's pod whose applications are proxyless gRPC: no Envoy and no redirection;
    /// each application container gets its gRPC xDS bootstrap in <c>GRPC_XDS_BOOTSTRAP_CONFIG</c> instead.
    /// </summary>
    public const string Proxyless = "mesh-proxy/proxyless";

    /// <summary>What only an injected Envoy (and its traffic redirection) reads: nothing of it on a proxyless pod.</summary>
    public static IReadOnlyList<string> EnvoyOnly { get; } =
        [Ports, EgressIgnoredPorts, EgressIgnoredIps, CpuRequests, MemoryRequests, CredentialsSecret];
}
