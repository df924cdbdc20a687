using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// The complete, consistency-checked configuration of one proxy identity. Immutable: it is shared by every
/// stream of every proxy with that identity, and replaced whole when the mesh changes.
/// </summary>
public sealed class Snapshot
{
    internal Snapshot(IReadOnlyDictionary<string, ResourceSet> byType)
    {
        ByType = byType.ToFrozenDictionary(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var type in TypeUrls.AdsOrder)
        {
            text.Append(type).Append(':').Append(this[type].AllVersion).Append('\n');
        }

        Version = Hashing.Hex(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 16);
    }

    /// <summary>When it was built (a <see cref="System.Diagnostics.Stopwatch"/> timestamp): pushes are timed from here.</summary>
    public long BuiltAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>
    /// The change's record of this identity when a mesh change built it (null otherwise): the streams it is offered to
    /// mark on it when they take it, get a push slot for it and finish writing it. Set once, before the cache publishes it.
    /// </summary>
    public IdentityTimeline? Timeline { get; internal set; }

    /// <summary>A hash of every resource version: equal snapshots have equal versions on every replica.</summary>
    public string Version { get; }

    public FrozenDictionary<string, ResourceSet> ByType { get; }

    public ResourceSet this[string typeUrl] => ByType.GetValueOrDefault(typeUrl) ?? ResourceSet.Empty;

    public IEnumerable<XdsResource> Resources => ByType.Values.SelectMany(s => s.All);
}
