using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Hashing;
using Envoy.Config.Core.V3;
using Google.Protobuf;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Keeps one parsed node per distinct node content, compared by its serialised bytes. Envoy sends its node
/// (about 36 KB with the ~390 <c>extensions</c> of a 1.32 build) on every request unless its bootstrap sets
/// <c>set_node_on_first_message_only</c>, and every proxy of a deployment sends the same one; parsing it each time
/// and keeping a copy per stream cost most of the server's CPU at connect and of its memory per proxy.
/// <para>
/// What is kept, and compared, is the node without <c>extensions</c>: nothing in the server reads them, and they
/// are most of its size (48 of 49 KB in the fleet's node). Two nodes that differ only in their extensions are the
/// same node to this server, so they share one entry; keeping the whole bytes to compare cost a full node copy per
/// distinct node, i.e. per proxy wherever each pod's node differs (its pod name in the metadata).
/// A node's entry lives as long as a stream holds its parsed node (a weak reference); the bytes of dead entries
/// are dropped now and then.
/// </para>
/// </summary>
public sealed class NodeInterner
{
    private const int SweepEvery = 256;

    // Readers (every request of every stream) look up and compare without a lock: a bucket is an immutable array,
    // replaced whole under _lock by the rare writer. Comparing 36–49 KB under one lock made every stream wait.
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<ulong, Entry[]> _entries = new();
    private readonly SharedExtensions _extensions = new();
    private int _addedSinceSweep;
    private long _parsed;
    private long _reused;

    /// <summary>Distinct node contents held now (some may be dead until the next sweep).</summary>
    public int Count
    {
        get
        {
            return _entries.Values.Sum(e => e.Length);
        }
    }

    /// <summary>Nodes parsed because their content was new.</summary>
    public long Parsed => Interlocked.Read(ref _parsed);

    /// <summary>Nodes answered from an earlier parse of the same bytes.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    /// <summary>Distinct runs of extensions held for the streams to compare their nodes with (some may be dead until a sweep).</summary>
    internal int ExtensionCopies => _extensions.Count;

    /// <summary>Bytes held by the entries (the nodes' fields but <c>extensions</c>), dead ones included until the next sweep.</summary>
    public long BytesHeld => _entries.Values.Sum(b => b.Sum(e => (long)e.Bytes.Length));

    /// <summary>
    /// The node these bytes (a serialised <c>Node</c>) parse to, less its <c>extensions</c>; the same instance for
    /// the same bytes, and for bytes that differ only in the extensions.
    /// </summary>
    public Node Intern(ReadOnlySpan<byte> bytes) => Intern(bytes, out _);

    /// <summary>
    /// As <see cref="Intern(ReadOnlySpan{byte})"/>, and <paramref name="wire"/> says where these exact bytes stay
    /// held without a copy of their own (this entry's bytes and the shared copy of the extensions), for a stream to
    /// compare its next request's node with (<see cref="StreamNodeMemo"/>); not held when the extensions are not
    /// one run of fields or their copy is not shared.
    /// </summary>
    internal Node Intern(ReadOnlySpan<byte> bytes, out NodeWire wire)
    {
        byte[]? rented = null;
        try
        {
            var node = InternKept(WithoutExtensions(bytes, ref rented, out var extensions), out var kept);
            wire = extensions is { } run && _extensions.Share(bytes[run]) is { } shared
                ? new NodeWire(kept, run.Start.Value, shared)
                : default;
            return node;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private Node InternKept(ReadOnlySpan<byte> bytes, out byte[] kept)
    {
        var hash = Hash(bytes);
        if (Find(hash, bytes) is { } known)
        {
            Interlocked.Increment(ref _reused);
            kept = known.Bytes;
            return known.Node;
        }

        // Parsed outside the lock: a new node does not hold up the streams whose node is known.
        var node = Node.Parser.ParseFrom(bytes);
        lock (_lock)
        {
            if (Find(hash, bytes) is { } raced)
            {
                Interlocked.Increment(ref _reused);
                kept = raced.Bytes;
                return raced.Node; // another stream parsed the same node meanwhile
            }

            // Same bytes whose node is gone are replaced, and dead entries of the bucket dropped.
            var live = new List<Entry>();
            foreach (var entry in _entries.GetValueOrDefault(hash) ?? [])
            {
                if (entry.Node.TryGetTarget(out _) && !entry.Bytes.AsSpan().SequenceEqual(bytes))
                {
                    live.Add(entry);
                }
            }

            kept = bytes.ToArray();
            live.Add(new Entry(kept, new WeakReference<Node>(node)));
            _entries[hash] = [.. live];
            Interlocked.Increment(ref _parsed);
            if (++_addedSinceSweep >= SweepEvery)
            {
                Sweep();
            }

            return node;
        }
    }

    /// <summary>
    /// The node's bytes less field 9 (<c>extensions</c>): <paramref name="bytes"/> itself when it has none, else the
    /// other fields copied, in order, into an array rented into <paramref name="rented"/>. Throws
    /// <see cref="FormatException"/> for bytes that are not a message (the caller leaves those to the parser).
    /// </summary>
    internal static ReadOnlySpan<byte> WithoutExtensions(ReadOnlySpan<byte> bytes, ref byte[]? rented) =>
        WithoutExtensions(bytes, ref rented, out _);

    /// <summary>
    /// As above; <paramref name="extensions"/> is where the extensions lie in <paramref name="bytes"/> when they are
    /// one run of fields (as Envoy writes a node, its fields in their numbers' order), an empty run at the end when
    /// there are none, and null when other fields lie between them.
    /// </summary>
    private static ReadOnlySpan<byte> WithoutExtensions(ReadOnlySpan<byte> bytes, ref byte[]? rented, out Range? extensions)
    {
        var fields = new WireFields(bytes);
        var runStart = 0;
        var written = 0;
        int first = -1, runs = 0;
        while (fields.MoveNext())
        {
            if (fields.Number == Node.ExtensionsFieldNumber)
            {
                rented ??= ArrayPool<byte>.Shared.Rent(bytes.Length);
                if (first < 0 || fields.Start != runStart)
                {
                    first = first < 0 ? fields.Start : first;
                    runs++;
                }

                bytes[runStart..fields.Start].CopyTo(rented.AsSpan(written));
                written += fields.Start - runStart;
                runStart = fields.End;
            }
        }

        if (rented is null)
        {
            extensions = bytes.Length..bytes.Length;
            return bytes;
        }

        extensions = runs == 1 ? first..runStart : null;

        bytes[runStart..].CopyTo(rented.AsSpan(written));
        written += bytes.Length - runStart;
        return rented.AsSpan(0, written);
    }

    /// <summary>The live node of an entry with these bytes; no lock (buckets are immutable arrays).</summary>
    private (Node Node, byte[] Bytes)? Find(ulong hash, ReadOnlySpan<byte> bytes)
    {
        if (_entries.TryGetValue(hash, out var bucket))
        {
            foreach (var entry in bucket)
            {
                if (entry.Bytes.AsSpan().SequenceEqual(bytes) && entry.Node.TryGetTarget(out var node))
                {
                    return (node, entry.Bytes);
                }
            }
        }

        return null;
    }

    private void Sweep()
    {
        _addedSinceSweep = 0;
        foreach (var (hash, bucket) in _entries)
        {
            var live = bucket.Where(e => e.Node.TryGetTarget(out _)).ToArray();
            if (live.Length == 0)
            {
                _entries.TryRemove(hash, out _);
            }
            else if (live.Length != bucket.Length)
            {
                _entries[hash] = live;
            }
        }
    }

    /// <summary>
    /// XXH3, vectorised: every request of a proxy without <c>set_node_on_first_message_only</c> hashes its node
    /// (less the extensions) here. <see cref="HashCode.AddBytes"/>, used before, takes four bytes a step and cost 18–23 µs per 49 KB
    /// node against XXH3's 2–3 µs, several times the full comparison that follows (2–3 µs; docs/benchmarks.md, issue13e).
    /// </summary>
    internal static ulong Hash(ReadOnlySpan<byte> bytes) => XxHash3.HashToUInt64(bytes);

    private sealed record Entry(byte[] Bytes, WeakReference<Node> Node);
}
