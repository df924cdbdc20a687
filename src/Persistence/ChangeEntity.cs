namespace Mesh.Persistence;

/// <summary>
/// One row of the durable change log. Every API write appends one in the same transaction as the
/// resource change, so a follower that reads from its last applied <see cref="Seq"/> never misses one.
/// </summary>
public sealed class ChangeEntity
{
    public long Seq { get; set; }

    public required string AccountId { get; set; }

    public required string MeshName { get; set; }

    public required string Kind { get; set; }

    public required string ParentName { get; set; }

    public required string Name { get; set; }

    /// <summary>The resource version after the change (for a delete, the version that was deleted).</summary>
    public long Version { get; set; }

    /// <summary>create, update or delete.</summary>
    public required string Operation { get; set; }

    public DateTimeOffset At { get; set; }
}
