namespace Mesh.XdsServer.Auth;

/// <summary>The actions a key's policy must allow, on the node's ARN, for each kind of xDS call.</summary>
public static class ProxyActions
{
    /// <summary>ADS, the per-type discovery services (LDS, RDS, CDS, EDS, SDS) and their unary fetches.</summary>
    public const string StreamAggregatedResources = "appmesh:StreamAggregatedResources";

    /// <summary>CSDS: a caller sees the status of exactly the proxies whose node ARNs this is allowed on.</summary>
    public const string DescribeProxyStatus = "appmesh:DescribeProxyStatus";
}
