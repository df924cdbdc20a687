using System.Buffers;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// <see cref="WireFields"/> over a <see cref="ReadOnlySequence{T}"/>: walks the top-level fields of a message that
/// lies in several segments (Kestrel hands a 49 KB request over in 4 KB blocks) where it lies, giving each field's
/// number and where it starts and ends as offsets into the sequence. A field's bytes may straddle segments; its
/// tag and length are read a byte at a time across them and its payload skipped by arithmetic, so walking the
/// ~400 fields of a node costs about what walking them in one array does, without first copying the whole message
/// into one (which every request that carries the node paid).
/// </summary>
internal ref struct SequenceFields
{
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly long _length;
    private SequencePosition _nextSegment;
    private ReadOnlySpan<byte> _span;
    private long _spanStart;
    private int _offset;

    public SequenceFields(ReadOnlySequence<byte> sequence)
    {
        _sequence = sequence;
        _length = sequence.Length;
        _nextSegment = sequence.Start;
        _span = sequence.TryGet(ref _nextSegment, out var first) ? first.Span : default;
    }

    public int Number { get; private set; }

    /// <summary>0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.</summary>
    public int WireType { get; private set; }

    /// <summary>Where the current field's tag starts.</summary>
    public long Start { get; private set; }

    /// <summary>Where the current length-delimited field's payload starts (after its tag and length).</summary>
    public long PayloadStart { get; private set; }

    /// <summary>Where the current field ends.</summary>
    public readonly long End => _spanStart + _offset;

    /// <summary>
    /// Moves to the next field; false at the end. Throws <see cref="FormatException"/> for what is not a well-formed
    /// field, as <see cref="WireFields.MoveNext"/> does.
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

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("varint too long");
    }

    private byte ReadByte()
    {
        while (_offset >= _span.Length)
        {
            NextSegment();
        }

        return _span[_offset++];
    }

    private void Skip(long count)
    {
        if (count > _length - End)
        {
            throw new FormatException("truncated field");
        }

        while (count > _span.Length - _offset)
        {
            count -= _span.Length - _offset;
            NextSegment();
        }

        _offset += (int)count;
    }

    private void NextSegment()
    {
        if (!_sequence.TryGet(ref _nextSegment, out var memory))
        {
            throw new FormatException("truncated field");
        }

        _spanStart += _span.Length;
        _span = memory.Span;
        _offset = 0;
    }
}
