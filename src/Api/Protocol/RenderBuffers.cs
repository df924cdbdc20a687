using System.Buffers;
using System.Collections.Concurrent;

namespace Mesh.Api.Protocol;

/// <summary>
/// Reusable buffers that responses are rendered into before they are sent. A few are kept; a buffer that grew
/// past <see cref="MaxKeptBytes"/> (a very large list) is dropped rather than kept.
/// </summary>
internal static class RenderBuffers
{
    public const int MaxKeptBytes = 256 * 1024;
    private const int MaxKept = 64;

    private static readonly ConcurrentBag<ArrayBufferWriter<byte>> Kept = [];

    public static ArrayBufferWriter<byte> Rent() => Kept.TryTake(out var buffer) ? buffer : new ArrayBufferWriter<byte>(4096);

    public static void Return(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity <= MaxKeptBytes && Kept.Count < MaxKept)
        {
            buffer.ResetWrittenCount();
            Kept.Add(buffer);
        }
    }
}
