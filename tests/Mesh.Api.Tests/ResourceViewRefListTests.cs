using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Model.Resources;
using Mesh.Model.Wire;

namespace Mesh.Api.Tests;

/// <summary>A list page's refs, written straight to JSON: exactly the Ref shape's members, in its order, nothing else.</summary>
public sealed class ResourceViewRefListTests
{
    private readonly ResourceView view = new(ServiceModel.AppMesh);

    [Fact]
    public void RefList_WritesEachItemAsItsRefShape()
    {
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_764_400_000_123);
        var page = new JsonObject { ["routes"] = Page(ResourceKind.Route, ["a", "b"], created) };

        Assert.Equal(
            """{"routes":[""" + Expected("a") + "," + Expected("b") + "]}",
            page.ToJsonString());
        Assert.Equal(
            ServiceModel.AppMesh.Shape("RouteRef").Members.Select(m => m.Name),
            ((JsonObject)JsonNode.Parse(page.ToJsonString())!["routes"]![0]!).Select(p => p.Key));
    }

    [Fact]
    public void RefList_OfNothing_IsAnEmptyArray() =>
        Assert.Equal("""{"meshes":[]}""", new JsonObject { ["meshes"] = Page(ResourceKind.Mesh, [], DateTimeOffset.UnixEpoch) }.ToJsonString());

    private static string Expected(string name) =>
        $$"""{"arn":"arn:aws:appmesh:us-east-1:111122223333:mesh/m/virtualRouter/r/route/{{name}}","createdAt":1764400000.123,"lastUpdatedAt":1764400000.123,"meshName":"m","meshOwner":"111122223333","resourceOwner":"444455556666","routeName":"{{name}}","version":3,"virtualRouterName":"r"}""";

    /// <summary>A page's items as <see cref="ResourceOperations"/> writes them: each row through its kind's Ref writer.</summary>
    private JsonNode Page(ResourceKind kind, IReadOnlyList<string> routeNames, DateTimeOffset at)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var name in routeNames)
            {
                var arn = Encoding.UTF8.GetBytes($"arn:aws:appmesh:us-east-1:111122223333:mesh/m/virtualRouter/r/route/{name}");
                view.Refs(kind).Write(writer, new RefRow("111122223333"u8, "m"u8, "r"u8, Encoding.UTF8.GetBytes(name), arn, 3, "444455556666"u8, at, at));
            }

            writer.WriteEndArray();
        }

        return RawJson.Of(buffer.WrittenMemory);
    }
}
