using System.Collections.Concurrent;

namespace Mesh.Api.Resources;

/// <summary>
/// JSON rendered from a stored resource's row, kept by the row's (uid, version). What a read shows of a resource is
/// fixed by those two: the identity is what the read's query matched byte for byte (and a uid is one resource's: a
/// re-created resource has a new one), the arn, resourceOwner and createdAt never change, the spec and lastUpdatedAt
/// change only with a new version (mesh_update_resource), tags are not shown and a stored row's status is always
/// ACTIVE. So the bytes rendered once are the answer for as long as the row has that version: a hit neither reads
/// the row's other columns nor renders anything. Bounded: past <see cref="Capacity"/> entries it starts over.
/// </summary>
public sealed class RenderedPerVersion(int capacity)
{
    private readonly ConcurrentDictionary<RowVersion, byte[]> rendered = new();

    public int Capacity { get; } = capacity;

    /// <summary>How many renderings are kept.</summary>
    public int Count => rendered.Count;

    /// <summary>What was rendered for <paramref name="uid"/> at <paramref name="version"/>, if it is kept.</summary>
    public bool TryGet(Guid uid, long version, out byte[] utf8) => rendered.TryGetValue(new RowVersion(uid, version), out utf8!);

    /// <summary>Keeps <paramref name="utf8"/>, rendered from the row of <paramref name="uid"/> at <paramref name="version"/>.</summary>
    public void Keep(Guid uid, long version, byte[] utf8)
    {
        if (rendered.Count >= Capacity)
        {
            rendered.Clear();
        }

        rendered[new RowVersion(uid, version)] = utf8;
    }

    /// <summary>
    /// The key: a row's uid and version. Its hash is the uid's own (its bits are random: the API draws uids,
    /// Guid.NewGuid, never a caller) mixed with the version's; <c>ValueTuple&lt;Guid, long&gt;</c>'s went through
    /// <c>HashCode.Combine</c> and the default comparers, 2.1% of a list page's samples (100 lookups a page, issue14ai).
    /// </summary>
    private readonly record struct RowVersion(Guid Uid, long Version)
    {
        public bool Equals(RowVersion other) => Uid == other.Uid && Version == other.Version;

        public override int GetHashCode() => Uid.GetHashCode() ^ Version.GetHashCode();
    }
}
