using System.Buffers;
using Envoy.Config.Core.V3;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// One stream's memory of the node its last request carried: the interned <see cref="Node"/> and where that node's
/// wire bytes are still held without a copy of the stream's own (<see cref="NodeWire"/>: the interner's bytes of the
/// node less its extensions, and the one shared copy of its extensions). A proxy that sends its node on every
/// request (the stock App Mesh Envoy) sends the same ~49 KB on every request; when this request's node is byte for
/// byte the stream's last one, the marshaller gives the request the node it already holds and reads only the fields
/// around it. Without it every such request's node was copied out of Kestrel's blocks, walked field by field (its
/// ~390 extensions) and looked up in the <see cref="NodeInterner"/>, only to find the instance the stream already had.
/// <para>
/// The bytes are compared, not hashed: a comparison is exact, and it runs in the runtime's precompiled, vectorised
/// <c>SequenceEqual</c>, where the 128-bit XXH3 used before (issue13al) has no precompiled form, so during a connect
/// (the JIT's queue thousands of methods long) it ran in the JIT's unoptimised code, about 0.4 ms a node (issue13an).
/// A node that changes (its length or any byte) is read in full as before and remembered instead.
/// </para>
/// </summary>
internal sealed class StreamNodeMemo
{
    private Node? _node;
    private NodeWire _wire;

    /// <summary>The node remembered when <paramref name="bytes"/> (a request's node field's payload) are its bytes, or null.</summary>
    public Node? Find(ReadOnlySequence<byte> bytes) => _node is not null && _wire.Matches(bytes) ? _node : null;

    /// <summary>Remembers the node a request's node was read to, and where its bytes are held; null (or bytes not held) forgets.</summary>
    public void Remember(Node? node, NodeWire wire)
    {
        _node = wire.IsHeld ? node : null;
        _wire = wire;
    }
}
