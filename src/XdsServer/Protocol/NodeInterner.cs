using Envoy.Config.Core.V3;
using Google.Protobuf;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Keeps one parsed node per distinct node content, compared by its serialised bytes. Envoy sends its node
/// (about 36 KB with the ~390 <c>extensions</c> of a 1.32 build) on every request unless its bootstrap sets
/// <c>set_node_on_first_message_only</c>, and every proxy of a deployment sends the same one; parsing it each time
/// and keeping a copy per stream cost most of the server's CPU at connect and of its memory per proxy.
/// <para>
/// What is kept is the node without <c>extensions</c>: nothing in the server reads them, and they are most of its
/// size. A node's entry lives as long as a stream holds its parsed node (a weak reference); the bytes of dead
/// entries are dropped now and then.
/// </para>
/// </summary>
public sealed class NodeInterner
{
    private const int SweepEvery = 256;

    private readonly Lock _lock = new();
    private readonly Dictionary<int, List<Entry>> _entries = [];
    private int _addedSinceSweep;
    private long _parsed;
    private long _reused;

    /// <summary>Distinct node contents held now (some may be dead until the next sweep).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Values.Sum(e => e.Count);
            }
        }
    }

    /// <summary>Nodes parsed because their content was new.</summary>
    public long Parsed => Interlocked.Read(ref _parsed);

    /// <summary>Nodes answered from an earlier parse of the same bytes.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    /// <summary>The node these bytes (a serialised <c>Node</c>) parse to; the same instance for the same bytes.</summary>
    public Node Intern(ReadOnlySpan<byte> bytes)
    {
        var hash = Hash(bytes);
        lock (_lock)
        {
            if (_entries.TryGetValue(hash, out var bucket))
            {
                foreach (var entry in bucket)
                {
                    if (entry.Bytes.AsSpan().SequenceEqual(bytes) && entry.Node.TryGetTarget(out var known))
                    {
                        _reused++;
                        return known;
                    }
                }
            }
        }

        // Parsed outside the lock: a new node does not hold up the streams whose node is known.
        var node = ParseWithoutExtensions(bytes);
        lock (_lock)
        {
            if (!_entries.TryGetValue(hash, out var bucket))
            {
                bucket = _entries[hash] = [];
            }

            foreach (var entry in bucket)
            {
                if (entry.Bytes.AsSpan().SequenceEqual(bytes) && entry.Node.TryGetTarget(out var raced))
                {
                    _reused++;
                    return raced; // another stream parsed the same node meanwhile
                }
            }

            for (var i = bucket.Count - 1; i >= 0; i--)
            {
                if (bucket[i].Bytes.AsSpan().SequenceEqual(bytes))
                {
                    bucket.RemoveAt(i); // its node is gone
                }
            }

            bucket.Add(new Entry(bytes.ToArray(), new WeakReference<Node>(node)));
            _parsed++;
            if (++_addedSinceSweep >= SweepEvery)
            {
                Sweep();
            }

            return node;
        }
    }

    /// <summary>Parses a node, leaving out field 9 (<c>extensions</c>), which nothing here reads.</summary>
    internal static Node ParseWithoutExtensions(ReadOnlySpan<byte> bytes)
    {
        var node = new Node();
        var fields = new WireFields(bytes);
        var runStart = 0;
        while (fields.MoveNext())
        {
            if (fields.Number == Node.ExtensionsFieldNumber)
            {
                node.MergeFrom(bytes[runStart..fields.Start]);
                runStart = fields.End;
            }
        }

        node.MergeFrom(bytes[runStart..]);
        return node;
    }

    private void Sweep()
    {
        _addedSinceSweep = 0;
        foreach (var (hash, bucket) in _entries.ToList())
        {
            bucket.RemoveAll(e => !e.Node.TryGetTarget(out _));
            if (bucket.Count == 0)
            {
                _entries.Remove(hash);
            }
        }
    }

    private static int Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }

    private sealed record Entry(byte[] Bytes, WeakReference<Node> Node);
}
