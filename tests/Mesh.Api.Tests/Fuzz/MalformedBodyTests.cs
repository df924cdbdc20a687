using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Fuzz;

/// <summary>
/// Bodies the JSON parser accepts but whose strings or member names cannot be read as .NET strings.
/// Each used to surface later, during validation, as a 500; each must be a BadRequest that writes nothing.
/// </summary>
public sealed class MalformedBodyTests(ApiServer api) : IClassFixture<ApiServer>
{
    private static readonly Dictionary<string, byte[]> Bodies = new()
    {
        ["unpaired high surrogate in a value"] = Encoding.UTF8.GetBytes("""{"meshName":"m1","spec":{"egressFilter":{"type":"\ud800"}}}"""),
        ["unpaired low surrogate in a value"] = Encoding.UTF8.GetBytes("""{"meshName":"\udc00x"}"""),
        ["unpaired surrogate in a member name"] = Encoding.UTF8.GetBytes("""{"meshName":"m2","\ud800":1}"""),
        ["invalid UTF-8 in a value"] = [.. Encoding.UTF8.GetBytes("""{"meshName":"m3"""), 0xC3, 0x28, (byte)'"', (byte)'}'],
        ["invalid UTF-8 in a member name"] = [.. Encoding.UTF8.GetBytes("""{"meshName":"m4","""), (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'],
        ["duplicate member"] = Encoding.UTF8.GetBytes("""{"meshName":"m5","meshName":"m6"}"""),
        ["duplicate nested member"] = Encoding.UTF8.GetBytes("""{"meshName":"m7","spec":{"egressFilter":{"type":"ALLOW_ALL"},"egressFilter":{"type":"DROP_ALL"}}}"""),
    };

    public static TheoryData<string> Cases => [.. Bodies.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task CreateMesh_WithUnreadableText_IsBadRequest(string what)
    {
        var body = Bodies[what];
        var before = await DatabaseSnapshot.TakeAsync(api.ConnectionString);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await api.Client.PutAsync("/v20190125/meshes", content);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 400, $"{what}: expected 400 but got {(int)response.StatusCode}: {text}");
        Assert.Equal("BadRequestException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.False(string.IsNullOrWhiteSpace(JsonNode.Parse(text)!["message"]!.GetValue<string>()));
        DatabaseSnapshot.AssertUnchanged(before, await DatabaseSnapshot.TakeAsync(api.ConnectionString));
    }

    [Fact]
    public async Task CreateMesh_WithUnpairedSurrogate_NamesTheMember()
    {
        var response = await api.SendRawAsync(HttpMethod.Put, "/v20190125/meshes", """{"meshName":"m9","spec":{"egressFilter":{"type":"a\ud800b"}}}""");
        response.AssertError(400, "BadRequestException");
        Assert.Contains("the string at spec.egressFilter.type is not valid UTF-8", response.Message);
    }

    /// <summary>
    /// Neither model has the requestCompression trait and no SDK compresses these bodies: a compressed body (signed as
    /// sent) is refused saying so, not for its first byte.
    /// </summary>
    [Theory]
    [InlineData(new[] { "gzip" }, "gzip")]
    [InlineData(new[] { "identity", "gzip" }, "identity, gzip")]
    [InlineData(new[] { "br" }, "br")]
    public async Task CreateMesh_WithACompressedBody_IsBadRequestSayingSo(string[] encodings, string header)
    {
        var before = await DatabaseSnapshot.TakeAsync(api.ConnectionString);
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("""{"meshName":"gzipped"}"""u8);
        }

        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var encoding in encodings)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        using var response = await api.Client.PutAsync("/v20190125/meshes", content);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 400, text);
        Assert.Equal("BadRequestException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Equal($"Content-Encoding \"{header}\" is not supported; send the body uncompressed.", JsonNode.Parse(text)!["message"]!.GetValue<string>());
        DatabaseSnapshot.AssertUnchanged(before, await DatabaseSnapshot.TakeAsync(api.ConnectionString));
    }

    [Fact]
    public async Task CreateMesh_WithIdentityContentEncoding_IsAccepted()
    {
        using var content = new StringContent("""{"meshName":"identity-encoded"}""", Encoding.UTF8, "application/json");
        content.Headers.ContentEncoding.Add("identity");
        using var response = await api.Client.PutAsync("/v20190125/meshes", content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CreateMesh_WithEscapedSurrogatePair_IsAccepted()
    {
        // A correctly paired escape is ordinary text and must still get through the same check.
        var response = await api.SendRawAsync(HttpMethod.Put, "/v20190125/meshes", """{"meshName":"pair-\ud83d\ude00"}""");
        response.AssertOk();
        Assert.Equal("pair-\U0001F600", response.Body!["meshName"]!.GetValue<string>());
    }
}
