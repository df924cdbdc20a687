using System.Buffers;
using Grpc.Core;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>A serialization context like gRPC's: the payload length first, then the bytes into its buffer writer (or a whole payload).</summary>
public sealed class RecordingSerializationContext : SerializationContext
{
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private int _length = -1;

    public byte[] Bytes { get; private set; } = [];

    public override void SetPayloadLength(int payloadLength) => _length = payloadLength;

    public override IBufferWriter<byte> GetBufferWriter() => _buffer;

    public override void Complete(byte[] payload) => Bytes = payload;

    public override void Complete()
    {
        Xunit.Assert.Equal(_length, _buffer.WrittenCount);
        Bytes = _buffer.WrittenSpan.ToArray();
    }
}
