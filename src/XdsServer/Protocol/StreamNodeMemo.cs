using System.Buffers;
using System.IO.Hashing;
using Envoy.Config.Core.V3;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// One stream's memory of the node its last request carried: the node's whole wire bytes (extensions included) as a
/// length and a 128-bit hash, and the interned <see cref="Node"/> they were read to. A proxy that sends its node on
/// every request (the stock App Mesh Envoy) sends the same ~49 KB on every ACK; when this request's node hashes to
/// what the stream's last one did, the marshaller gives the request the node it already holds and reads only the
/// fields around it. Without it every ACK's node was copied out of Kestrel's blocks, walked field by field (its ~390
/// extensions) and looked up in the <see cref="NodeInterner"/>, only to find the instance the stream already had.
/// <para>
/// The hash reads the bytes once, front to back, where they lie (no copy, and in an order the prefetcher follows).
/// It is keyed with a seed chosen at start, so colliding bytes cannot be looked up ahead of time (XXH3 is not a MAC,
/// which is why the next point matters); and it only ever stands in for the same stream's previous node: the first request of a stream (which names the proxy) is always
/// read in full, so at worst a proxy could keep its own stream's earlier node in CSDS. A node that changes (its
/// length or any byte) is read in full as before and remembered instead.
/// </para>
/// </summary>
internal sealed class StreamNodeMemo
{
    private static readonly long Seed = Random.Shared.NextInt64();

    [ThreadStatic]
    private static XxHash128? t_hasher;

    private int _length = -1;
    private UInt128 _hash;
    private Node? _node;

    /// <summary>
    /// Whether the stream has not read a node yet. Its first node is not hashed: there is nothing to compare it
    /// with, and a proxy that sends its node on the first request only (Mesh's own bootstraps) never sends another,
    /// so that hash was all the memo cost such a stream, a hash of ~49 KB per connect in code the JIT had not
    /// optimised yet (the hasher's vector code has no precompiled form). The stream's second node is read in full
    /// and remembered with its hash; from the third on, the memo answers.
    /// </summary>
    public bool IsEmpty { get; private set; } = true;

    /// <summary>The node remembered for exactly these bytes, or null (none yet, or other bytes).</summary>
    public Node? Find(int length, UInt128 hash) => length == _length && hash == _hash ? _node : null;

    /// <summary>The stream's first node was read; nothing is remembered for its bytes (see <see cref="IsEmpty"/>).</summary>
    public void FirstRead() => IsEmpty = false;

    /// <summary>Remembers the node these bytes were read to; null forgets (a node read some other way).</summary>
    public void Remember(int length, UInt128 hash, Node? node)
    {
        IsEmpty = false;
        _length = node is null ? -1 : length;
        _hash = hash;
        _node = node;
    }

    /// <summary>The seeded 128-bit XXH3 of <paramref name="bytes"/>, segment by segment.</summary>
    public static UInt128 Hash(ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            return XxHash128.HashToUInt128(bytes.FirstSpan, Seed);
        }

        var hasher = t_hasher ??= new XxHash128(Seed);
        hasher.Reset();
        foreach (var segment in bytes)
        {
            hasher.Append(segment.Span);
        }

        return hasher.GetCurrentHashAsUInt128();
    }
}
