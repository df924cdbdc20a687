namespace Mesh.Bootstrap;

/// <summary>Which stats tags a bootstrap carries (<c>--stats-tags</c>).</summary>
public enum StatsTagsStyle
{
    /// <summary>
    /// The tags App Mesh's agent wrote (with <c>ENABLE_ENVOY_STATS_TAGS=1</c>), and only those, so dashboards and alerts
    /// built on App Mesh proxies see the same stat names and labels: the mesh and resource as fixed tags, the listener
    /// protocol and port of ingress stats, and the route configuration of ingress RDS stats.
    /// </summary>
    AppMesh,

    /// <summary>
    /// <see cref="AppMesh"/> plus the listener protocol and port on egress and cluster stats, and the route configuration
    /// of egress RDS stats: more to group by, but egress and cluster stat names then differ from App Mesh's.
    /// </summary>
    Extended,

    /// <summary>No stats tags: Envoy's default names.</summary>
    None,
}
