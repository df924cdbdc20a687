using System.Buffers;
using System.Text.Json;

namespace Mesh.Api.Protocol;

/// <summary>
/// A <see cref="Utf8JsonWriter"/> (default options) kept per thread for the renders into a pooled buffer that finish
/// without waiting: each made a new writer per call, three on a create (the spec's bytes, the answer, the clientToken's
/// hash), 2.6% of a create's bytes (issue14ae's ranking).
/// </summary>
/// <remarks>
/// A writer is taken out of its thread's slot while it writes, so a render within a render makes its own, and one that
/// threw is never given back (it is left to the collector, with whatever it held). A kept writer points at an empty
/// buffer of its own, not at the last render's pooled one.
/// </remarks>
internal static class JsonWriters
{
    [ThreadStatic]
    private static Utf8JsonWriter? kept;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? nowhere;

    /// <summary>A writer into <paramref name="output"/>, as <c>new Utf8JsonWriter(output)</c> makes it.</summary>
    public static Utf8JsonWriter Rent(IBufferWriter<byte> output)
    {
        var writer = kept;
        if (writer is null)
        {
            return new Utf8JsonWriter(output);
        }

        kept = null;
        writer.Reset(output);
        return writer;
    }

    /// <summary>Flushes what <paramref name="writer"/> holds into its output, and keeps it for this thread's next render.</summary>
    public static void Return(Utf8JsonWriter writer)
    {
        writer.Flush();
        writer.Reset(nowhere ??= new ArrayBufferWriter<byte>(1));
        kept = writer;
    }
}
