namespace Mesh.XdsServer.ProxyStatus;

/// <summary>Configuration section <c>Xds:ProxyStatus</c>.</summary>
public sealed class ProxyStatusOptions
{
    /// <summary>How this replica names itself in the report; default <c>&lt;host name&gt;:&lt;process id&gt;</c>.</summary>
    public string? ReplicaId { get; set; }

    /// <summary>Admin URLs of the other xDS replicas (e.g. <c>http://xds-1:18001</c>); <c>GET /proxy-status</c> merges their streams in.</summary>
    public List<string> Peers { get; set; } = [];

    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
