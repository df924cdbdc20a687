using System.Buffers;
using System.Text;
using System.Text.Json;
using Mesh.Api.Protocol;

namespace Mesh.Api.Tests;

/// <summary>The per-thread writer (<see cref="JsonWriters"/>) writes what a new writer writes, and is never in two renders at once.</summary>
public sealed class JsonWritersTests
{
    [Fact]
    public void AKeptWriter_WritesWhatANewOneWrites_IntoEachRendersOwnBuffer()
    {
        for (var round = 0; round < 3; round++)
        {
            var kept = new ArrayBufferWriter<byte>();
            var writer = JsonWriters.Rent(kept);
            Write(writer, round);
            JsonWriters.Return(writer);

            var fresh = new ArrayBufferWriter<byte>();
            using (var plain = new Utf8JsonWriter(fresh))
            {
                Write(plain, round);
            }

            Assert.Equal(Encoding.UTF8.GetString(fresh.WrittenSpan), Encoding.UTF8.GetString(kept.WrittenSpan));
        }
    }

    [Fact]
    public void ARenderWithinARender_GetsAWriterOfItsOwn_AndTheKeptOneComesBack()
    {
        var outer = JsonWriters.Rent(new ArrayBufferWriter<byte>());
        var inner = JsonWriters.Rent(new ArrayBufferWriter<byte>());
        Assert.NotSame(outer, inner);
        JsonWriters.Return(inner);
        JsonWriters.Return(outer);
        Assert.Same(outer, JsonWriters.Rent(new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void AWriterLeftHalfWay_StartsTheNextRenderEmpty()
    {
        var first = new ArrayBufferWriter<byte>();
        var writer = JsonWriters.Rent(first);
        writer.WriteStartObject();
        writer.WritePropertyName("open");
        JsonWriters.Return(writer);

        var second = new ArrayBufferWriter<byte>();
        var again = JsonWriters.Rent(second);
        again.WriteStringValue("alone");
        JsonWriters.Return(again);
        Assert.Equal("\"alone\"", Encoding.UTF8.GetString(second.WrittenSpan));
    }

    private static void Write(Utf8JsonWriter writer, int round)
    {
        writer.WriteStartObject();
        writer.WriteString("name", $"node-{round} <é> \"q\"");
        writer.WriteNumber("round", round);
        writer.WriteStartArray("items");
        writer.WriteBooleanValue(true);
        writer.WriteNullValue();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
