using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Persistence;

namespace Mesh.Api.Tests;

/// <summary>
/// A write's answer written straight to UTF-8 (<see cref="WrittenAnswer"/>) is, byte for byte, what building the *Data
/// shape as nodes (<see cref="ResourceView.Data(ResourceKind, ResourceEntity, string, JsonNode?)"/>) and writing it gave,
/// for every kind, both statuses, every form of the times, and text that needs escapes; and the clientToken's hash, now
/// written into a pooled buffer, is still the SHA-256 of the canonical text.
/// </summary>
public sealed class WrittenAnswerRenderingTests
{
    private readonly ResourceView view = new(ServiceModel.AppMesh);

    private const string Spec = """
        {"listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}],
         "serviceDiscovery": {"dns": {"hostname": "<web> & \"é\" \u2028 😀.local"}}, "backends": []}
        """;

    public static TheoryData<string, string, long, long> Cases()
    {
        var cases = new TheoryData<string, string, long, long>();
        foreach (var kind in ResourceKind.All)
        {
            foreach (var status in new[] { ResourceView.Active, ResourceView.Deleted })
            {
                // createdAt and lastUpdatedAt with no, one, two and three decimals.
                cases.Add(kind.WireName, status, 1_732_000_000_000, 1_732_000_000_500);
                cases.Add(kind.WireName, status, 1_732_000_000_120, 1_732_000_100_123);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FromTheSpecJustWritten_IsWhatTheNodesGave(string wireName, string status, long createdMs, long updatedMs)
    {
        var kind = ResourceKind.FromWireName(wireName);
        var entity = Entity(kind, createdMs, updatedMs);
        var specUtf8 = Utf8(JsonNode.Parse(Spec)!);
        entity.Spec = Encoding.UTF8.GetString(specUtf8);

        var written = WrittenAnswer.Of(view, kind, entity, specUtf8, status);

        // What a create or update answered before: the *Data as nodes, the spec as the bytes just written.
        var data = view.Data(kind, entity, status, RawJson.Of(specUtf8));
        var expectedData = data.ToJsonString();
        Assert.Equal(expectedData, Encoding.UTF8.GetString(written.Data.Span));
        Assert.Equal(new JsonObject { [kind.WireName] = RawJson.Of(Encoding.UTF8.GetBytes(expectedData)) }.ToJsonString(), written.Text());
        Assert.Equal(written.Text(), Encoding.UTF8.GetString(written.Utf8.Span));
        AssertSent(kind, written, expectedData);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FromAStoredSpec_IsWhatTheNodesGave(string wireName, string status, long createdMs, long updatedMs)
    {
        var kind = ResourceKind.FromWireName(wireName);
        var entity = Entity(kind, createdMs, updatedMs);
        entity.Spec = Spec; // as jsonb gives it back: spaced, and parsed again for the answer

        using var parsed = JsonDocument.Parse(entity.Spec);
        var written = WrittenAnswer.Of(view, kind, entity, parsed.RootElement, status);

        // What a delete answered before: the stored text parsed as nodes, the whole written by the endpoint.
        var expectedData = view.Data(kind, entity, status).ToJsonString();
        Assert.Equal(expectedData, Encoding.UTF8.GetString(written.Data.Span));
        Assert.Equal(new JsonObject { [kind.WireName] = view.Data(kind, entity, status) }.ToJsonString(), written.Text());
        AssertSent(kind, written, expectedData);
    }

    [Fact]
    public void RequestHash_IsTheSha256OfTheCanonicalText_AfterALargerRequestUsedTheBuffer()
    {
        // A large request first, so that the pooled buffer the small one gets has held other bytes.
        var large = new JsonObject { ["spec"] = new string('x', 300_000), ["clientToken"] = "t" };
        CanonicalJson.HashRequest("CreateMesh", large, left: "clientToken");
        var small = JsonNode.Parse("""{"b": [1, {"d": "é", "c": null}], "clientToken": "t", "a": "<x>"}""")!.AsObject();

        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            """{"input":{"a":"\u003Cx\u003E","b":[1,{"c":null,"d":"\u00E9"}]},"operation":"CreateMesh"}""")));

        Assert.Equal(expected, CanonicalJson.HashRequest("CreateMesh", small, left: "clientToken"));
        Assert.Equal(expected, CanonicalJson.Hash(new JsonObject { ["operation"] = "CreateMesh", ["input"] = JsonNode.Parse("""{"b": [1, {"d": "é", "c": null}], "a": "<x>"}""") }));
    }

    /// <summary>The endpoint sends the answer's member as it is: the *Data's bytes.</summary>
    private static void AssertSent(ResourceKind kind, WrittenAnswer written, string expectedData)
    {
        var output = written.Output(kind);
        Assert.Single(output);
        Assert.True(RawJson.TryGetUtf8(output[kind.WireName]!, out var sent));
        Assert.Equal(expectedData, Encoding.UTF8.GetString(sent.Span));
    }

    private static byte[] Utf8(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static ResourceEntity Entity(ResourceKind kind, long createdMs, long updatedMs) => new()
    {
        AccountId = "111122223333",
        MeshName = "m<é>",
        Kind = kind.WireName,
        ParentName = kind.Parent is null ? "" : "parent-1",
        Name = kind.IsMesh ? "m<é>" : "web\"1",
        Arn = "arn:aws:appmesh:us-east-1:111122223333:mesh/m<é>/x/web\"1",
        Uid = Guid.NewGuid(),
        Version = 9_007_199_254_740_993,
        Spec = Spec,
        Tags = "[]",
        ResourceOwner = "444455556666",
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(createdMs),
        LastUpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(updatedMs),
    };
}
