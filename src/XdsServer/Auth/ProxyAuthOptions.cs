namespace Mesh.XdsServer.Auth;

/// <summary>How a proxy proves which virtual node or gateway it is (configuration <c>Xds:Auth:Mode</c>).</summary>
public enum ProxyAuthMode
{
    /// <summary>Every call signed with Signature Version 4 (service <c>appmesh</c>), as Envoy's <c>envoy.grpc_credentials.aws_iam</c> signs.</summary>
    SigV4,

    /// <summary>A client certificate, issued by <c>Xds:Tls:ClientCaPath</c>, whose URI SAN names the node.</summary>
    MutualTls,

    /// <summary>No authentication: every caller may be any node. Only when set explicitly, and logged as a warning.</summary>
    None,
}

/// <summary>Configuration section <c>Xds:Auth</c>.</summary>
public sealed class ProxyAuthOptions
{
    /// <summary>Enforced by default: a server that is not told otherwise wants SigV4.</summary>
    public ProxyAuthMode Mode { get; set; } = ProxyAuthMode.SigV4;
}

/// <summary>Configuration section <c>Xds:Tls</c>: when <see cref="CertificatePath"/> is set, the gRPC port serves TLS.</summary>
public sealed class XdsTlsOptions
{
    /// <summary>PEM certificate (chain) of the server.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of the server certificate.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM certificate(s) of the CA that issues proxy client certificates (required for <see cref="ProxyAuthMode.MutualTls"/>).</summary>
    public string? ClientCaPath { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(CertificatePath);
}
