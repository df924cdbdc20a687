namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Walks the top-level fields of a protobuf message in its wire form without parsing it: for each field its
/// number and where it starts and ends. Enough to slice one field out of a message and parse only the rest.
/// </summary>
internal ref struct WireFields(ReadOnlySpan<byte> message)
{
    private readonly ReadOnlySpan<byte> _message = message;
    private int _position;

    public int Number { get; private set; }

    /// <summary>0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.</summary>
    public int WireType { get; private set; }

    public int Start { get; private set; }

    public int End => _position;

    /// <summary>
    /// Moves to the next field; false at the end. Throws <see cref="FormatException"/> for anything that is not a
    /// well-formed field (a truncated length, a varint past ten bytes, a group, an unknown wire type), which the
    /// caller leaves to the protobuf parser to report as it always does.
    /// </summary>
    public bool MoveNext()
    {
        if (_position >= _message.Length)
        {
            return false;
        }

        Start = _position;
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

                Skip((int)length);
                break;
            case 5:
                Skip(4);
                break;
            default:
                throw new FormatException("group or unknown wire type");
        }

        return true;
    }

    /// <summary>The payload of the current length-delimited field (after its tag and length).</summary>
    public readonly ReadOnlySpan<byte> Payload
    {
        get
        {
            var p = Start;
            while ((_message[p++] & 0x80) != 0)
            {
            }

            while ((_message[p++] & 0x80) != 0)
            {
            }

            return _message[p.._position];
        }
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _message.Length)
            {
                throw new FormatException("truncated varint");
            }

            var b = _message[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("varint too long");
    }

    private void Skip(int count)
    {
        if (count < 0 || count > _message.Length - _position)
        {
            throw new FormatException("truncated field");
        }

        _position += count;
    }
}
