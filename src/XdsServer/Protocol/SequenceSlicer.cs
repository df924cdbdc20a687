using System.Buffers;
using Envoy.Config.Core.V3;
using Google.Protobuf;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// <see cref="NodeSlicingMarshaller"/>'s reading of a request that arrives in several segments, without copying it
/// into one array: the node's fields are walked where they lie, the ones the interner keeps (all but
/// <c>extensions</c>, about 1 KB of a 49 KB node) copied out and interned, and the few hundred bytes of the request
/// around the node parsed. A request whose node is known (every ACK of an Envoy that sends its node on every
/// request) so costs a walk over the node's field headers, a hash and a comparison of the kept bytes, and no copy
/// of the extensions. Anything it does not recognise as a well-formed request with one node is left to the caller
/// (false), which reads it the way it always did.
/// </summary>
internal static class SequenceSlicer
{
    public static bool TryRead<T>(ReadOnlySequence<byte> payload, NodeInterner interner, int nodeField, Action<T, Node> setNode, out T? request)
        where T : IMessage<T>, new()
    {
        request = default;
        if (!TryFindNode(payload, nodeField, out var nodeStart, out var nodePayloadStart, out var nodeEnd))
        {
            return false;
        }

        var node = payload.Slice(nodePayloadStart, nodeEnd - nodePayloadStart);
        var kept = ArrayPool<byte>.Shared.Rent((int)node.Length);
        var rest = ArrayPool<byte>.Shared.Rent((int)(payload.Length - (nodeEnd - nodeStart)));
        try
        {
            if (!TryCopyWithoutExtensions(node, kept, out var keptLength))
            {
                return false;
            }

            var before = payload.Slice(0, nodeStart);
            var after = payload.Slice(nodeEnd);
            before.CopyTo(rest);
            after.CopyTo(rest.AsSpan((int)before.Length));
            var result = new T();
            result.MergeFrom(rest.AsSpan(0, (int)(before.Length + after.Length)));
            setNode(result, interner.Intern(kept.AsSpan(0, keptLength)));
            request = result;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(kept);
            ArrayPool<byte>.Shared.Return(rest);
        }
    }

    /// <summary>
    /// Where the one length-delimited <paramref name="nodeField"/> of the message starts, where its payload starts,
    /// and where it ends; false for no node, a node given twice (protobuf merges them) or not as a message, or any
    /// field that is not well formed.
    /// </summary>
    private static bool TryFindNode(ReadOnlySequence<byte> message, int nodeField, out long start, out long payloadStart, out long end)
    {
        start = payloadStart = end = -1;
        var reader = new Cursor(message);
        while (!reader.AtEnd)
        {
            var fieldStart = reader.Consumed;
            if (!TryReadField(ref reader, out var number, out var wireType, out var contentStart))
            {
                return false;
            }

            if (number == nodeField)
            {
                if (start >= 0 || wireType != 2)
                {
                    return false;
                }

                (start, payloadStart, end) = (fieldStart, contentStart, reader.Consumed);
            }
        }

        return start >= 0;
    }

    /// <summary>The node's fields but <c>extensions</c>, in order, into <paramref name="destination"/>; false if a field is not well formed.</summary>
    private static bool TryCopyWithoutExtensions(ReadOnlySequence<byte> node, byte[] destination, out int written)
    {
        written = 0;
        var reader = new Cursor(node);
        long runStart = 0;
        while (!reader.AtEnd)
        {
            var fieldStart = reader.Consumed;
            if (!TryReadField(ref reader, out var number, out _, out _))
            {
                return false;
            }

            if (number == Node.ExtensionsFieldNumber)
            {
                written += CopyRun(node, runStart, fieldStart, destination, written);
                runStart = reader.Consumed;
            }
        }

        written += CopyRun(node, runStart, node.Length, destination, written);
        return true;
    }

    private static int CopyRun(ReadOnlySequence<byte> source, long from, long to, byte[] destination, int at)
    {
        if (to > from)
        {
            source.Slice(from, to - from).CopyTo(destination.AsSpan(at));
        }

        return (int)(to - from);
    }

    /// <summary>Reads one field's tag and moves past it; for a length-delimited field, where its payload starts.</summary>
    private static bool TryReadField(ref Cursor reader, out int number, out int wireType, out long contentStart)
    {
        number = wireType = 0;
        contentStart = -1;
        if (!TryReadVarint(ref reader, out var tag) || (tag >> 3) is 0 or > int.MaxValue)
        {
            return false;
        }

        number = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        switch (wireType)
        {
            case 0:
                return TryReadVarint(ref reader, out _);
            case 1:
                return TryAdvance(ref reader, 8);
            case 2:
                if (!TryReadVarint(ref reader, out var length) || length > int.MaxValue)
                {
                    return false;
                }

                contentStart = reader.Consumed;
                return TryAdvance(ref reader, (long)length);
            case 5:
                return TryAdvance(ref reader, 4);
            default:
                return false; // groups and unknown wire types: the parser's case
        }
    }

    private static bool TryAdvance(ref Cursor reader, long count) => reader.TrySkip(count);

    private static bool TryReadVarint(ref Cursor reader, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                return false;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A forward-only position in a sequence that reads bytes from the current segment's span and skips across
    /// segments: a field header is a few bytes read within one segment almost always, so this costs little more
    /// than the same walk over one array (<see cref="SequenceReader{T}"/> measured a third slower than copying first).
    /// </summary>
    private ref struct Cursor
    {
        private readonly ReadOnlySequence<byte> _sequence;
        private SequencePosition _next;
        private ReadOnlySpan<byte> _span;
        private int _index;
        private long _before;

        public Cursor(ReadOnlySequence<byte> sequence)
        {
            _sequence = sequence;
            _next = sequence.Start;
            _span = default;
            _index = 0;
            _before = 0;
        }

        public readonly long Consumed => _before + _index;

        public bool AtEnd => _index >= _span.Length && !NextSegment();

        public bool TryRead(out byte value)
        {
            if (_index < _span.Length || NextSegment())
            {
                value = _span[_index++];
                return true;
            }

            value = 0;
            return false;
        }

        public bool TrySkip(long count)
        {
            while (count > _span.Length - _index)
            {
                count -= _span.Length - _index;
                _index = _span.Length;
                if (!NextSegment())
                {
                    return false;
                }
            }

            _index += (int)count;
            return true;
        }

        /// <summary>Moves to the next non-empty segment; false at the end of the sequence.</summary>
        private bool NextSegment()
        {
            while (_sequence.TryGet(ref _next, out var memory))
            {
                _before += _span.Length;
                _span = memory.Span;
                _index = 0;
                if (_span.Length > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
