using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;

namespace Mesh.Api.Tests;

/// <summary>
/// Rendered JSON sent as it is: only a node that is rendered JSON itself gives its bytes (a Describe's answer), and those
/// bytes are exactly what writing the node would produce; an object holding rendered JSON (a list page) is written.
/// </summary>
public sealed class RawJsonTests
{
    private const string Data = """{"meshName":"m","spec":{"listeners":[]},"status":{"status":"ACTIVE"}}""";

    [Fact]
    public void RenderedValue_GivesItsBytes_AsWritingItWould()
    {
        var node = RawJson.Of(Encoding.UTF8.GetBytes(Data));

        Assert.True(RawJson.TryGetUtf8(node, out var utf8));
        Assert.Equal(Data, Encoding.UTF8.GetString(utf8.Span));
        Assert.Equal(node.ToJsonString(), Encoding.UTF8.GetString(utf8.Span));
    }

    [Fact]
    public void ObjectHoldingRenderedJson_IsNotRenderedItself()
    {
        var page = new JsonObject { ["meshes"] = RawJson.Of("[]"u8.ToArray()), ["nextToken"] = "t" };

        Assert.False(RawJson.TryGetUtf8(page, out var utf8));
        Assert.True(utf8.IsEmpty);
    }

    [Fact]
    public void OtherValues_AreNotRenderedJson()
    {
        Assert.False(RawJson.TryGetUtf8(JsonValue.Create("text"), out _));
        Assert.False(RawJson.TryGetUtf8(JsonValue.Create(3), out _));
        Assert.False(RawJson.TryGetUtf8(JsonNode.Parse("[]")!, out _));
    }

    [Fact]
    public void RentedValue_GivesItsBytes_UntilTheAnswerIsReturned()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("meshName", "m");
            writer.WriteEndObject();
        }

        var answer = new JsonObject { ["mesh"] = RawJson.OfRented(buffer) };
        Assert.True(RawJson.TryGetUtf8(answer["mesh"]!, out var utf8));
        Assert.Equal("""{"meshName":"m"}""", Encoding.UTF8.GetString(utf8.Span));

        RawJson.ReturnRented(answer);
        Assert.True(RawJson.TryGetUtf8(answer["mesh"]!, out var after));
        Assert.True(after.IsEmpty);
    }
}
