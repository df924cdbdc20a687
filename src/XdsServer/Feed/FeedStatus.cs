namespace Mesh.XdsServer.Feed;

/// <summary>The change feed's state, shared with the admin endpoints.</summary>
public sealed class FeedStatus
{
    public FeedState State { get; set; } = FeedState.Disabled;

    public long Watermark { get; set; }

    public DateTimeOffset? LastError { get; set; }

    /// <summary>True once the first full load finished: every snapshot served since reflects the database.</summary>
    public bool Loaded { get; set; }

    /// <summary>Whether what the server serves reflects its meshes: after the first load, or always without a database.</summary>
    public bool Ready => State is FeedState.Disabled || Loaded;
}
