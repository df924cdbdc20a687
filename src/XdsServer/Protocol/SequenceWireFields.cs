using System.Buffers;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// <see cref="WireFields"/> over a message still in the segments it arrived in (Kestrel hands a 49 KB request over in
/// 4 KB blocks): each top-level field's number and where it starts and ends, as offsets in the whole sequence, without
/// first copying the message into one array. Walking a node's ~390 extensions costs a tag and a length read each;
/// the copy it replaces moved every byte.
/// </summary>
internal ref struct SequenceWireFields
{
    private readonly long _length;
    private ReadOnlySequence<byte>.Enumerator _segments;
    private ReadOnlySpan<byte> _span;
    private long _spanStart;
    private int _index;

    public SequenceWireFields(ReadOnlySequence<byte> message)
    {
        _length = message.Length;
        _segments = message.GetEnumerator();
    }

    public int Number { get; private set; }

    /// <summary>0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.</summary>
    public int WireType { get; private set; }

    public long Start { get; private set; }

    /// <summary>Where the current length-delimited field's payload starts (after its tag and length).</summary>
    public long PayloadStart { get; private set; }

    public readonly long End => _spanStart + _index;

    /// <summary>
    /// Moves to the next field; false at the end. Throws <see cref="FormatException"/> where <see cref="WireFields"/>
    /// does (a truncated length, a varint past ten bytes, a group, an unknown wire type).
    /// </summary>
    public bool MoveNext()
    {
        if (End >= _length)
        {
            return false;
        }

        Start = End;
        var tag = ReadVarint();
        Number = (int)(tag >> 3);
        if (Number == 0)
        {
            throw new FormatException("field number 0");
        }

        WireType = (int)(tag & 7);
        switch (WireType)
        {
            case 0:
                ReadVarint();
                break;
            case 1:
                Skip(8);
                break;
            case 2:
                var length = ReadVarint();
                if (length > int.MaxValue)
                {
                    throw new FormatException("length out of range");
                }

                PayloadStart = End;
                Skip((long)length);
                break;
            case 5:
                Skip(4);
                break;
            default:
                throw new FormatException("group or unknown wire type");
        }

        return true;
    }

    /// <summary>A varint; a one-byte one inside the segment (a tag, most lengths) without the general loop.</summary>
    private ulong ReadVarint()
    {
        if ((uint)_index < (uint)_span.Length && _span[_index] < 0x80)
        {
            return _span[_index++];
        }

        return ReadVarintAcrossSegments();
    }

    private ulong ReadVarintAcrossSegments()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            while (_index >= _span.Length)
            {
                if (!NextSegment())
                {
                    throw new FormatException("truncated varint");
                }
            }

            var b = _span[_index++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("varint too long");
    }

    private void Skip(long count)
    {
        if (count <= _span.Length - _index)
        {
            _index += (int)count;
            return;
        }

        if (count > _length - End)
        {
            throw new FormatException("truncated field");
        }

        while (count > _span.Length - _index)
        {
            count -= _span.Length - _index;
            _index = _span.Length;
            if (!NextSegment())
            {
                throw new FormatException("truncated field");
            }
        }

        _index += (int)count;
    }

    /// <summary>Moves past the current segment (all of it read) to the next one; false when there is none.</summary>
    private bool NextSegment()
    {
        _spanStart += _span.Length;
        _index = 0;
        if (!_segments.MoveNext())
        {
            _span = default;
            return false;
        }

        _span = _segments.Current.Span;
        return true;
    }
}
