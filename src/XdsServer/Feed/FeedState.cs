namespace Mesh.XdsServer.Feed;

/// <summary>Where the change feed is, for /healthz.</summary>
public enum FeedState
{
    /// <summary>No database configured: meshes come from elsewhere (tests, or an embedding host).</summary>
    Disabled,
    Starting,
    Live,
    /// <summary>The database is unreachable; the last snapshots keep serving.</summary>
    Disconnected,
}
