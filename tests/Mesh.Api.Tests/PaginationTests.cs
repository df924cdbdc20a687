using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests;

public sealed class PaginationTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Pages_CoverEveryResourceOnce()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var names = Enumerable.Range(0, 23).Select(i => $"node-{i:D2}").ToList();
        foreach (var name in names)
        {
            await mesh.NodeAsync(name);
        }

        var seen = await ReadAllAsync(Paths.VirtualNodes(mesh.Mesh), pageSize: 5);
        Assert.Equal(names, seen);
    }

    [Fact]
    public async Task Pages_StayCorrectUnderConcurrentInsertsAndDeletes()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        foreach (var name in new[] { "b", "d", "f", "h" })
        {
            await mesh.NodeAsync(name);
        }

        var first = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh) + "?limit=2")).AssertOk();
        Assert.Equal(["b", "d"], Names(first));

        // Between pages: delete an already-returned node, insert before and after the cursor.
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "b"))).AssertOk();
        await mesh.NodeAsync("a");
        await mesh.NodeAsync("g");

        var token = first.Body!["nextToken"]!.GetValue<string>();
        var rest = await ReadAllAsync(Paths.VirtualNodes(mesh.Mesh), pageSize: 2, startToken: token);
        Assert.Equal(["f", "g", "h"], rest);
    }

    [Fact]
    public async Task TokenFromAnotherList_IsBadRequest()
    {
        var one = await MeshBuilder.CreateAsync(api);
        var two = await MeshBuilder.CreateAsync(api);
        await one.NodeAsync("a");
        await one.NodeAsync("b");
        var page = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(one.Mesh) + "?limit=1")).AssertOk();
        var token = page.Body!["nextToken"]!.GetValue<string>();
        var response = await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(two.Mesh) + "?nextToken=" + Uri.EscapeDataString(token));
        response.AssertError(400, "BadRequestException");

        var tampered = token[..^2] + (token[^2] == 'A' ? "BA" : "AA");
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(one.Mesh) + "?nextToken=" + Uri.EscapeDataString(tampered)))
            .AssertError(400, "BadRequestException");
    }

    [Fact]
    public async Task Pages_OfLongNonAsciiNames_FollowEveryNextToken()
    {
        // Names of up to 255 characters of any script: a token that carried its list's names as escaped JSON grew past
        // what the API reads back (each 'é' six characters, \u00E9), and the API refused the token it had issued.
        var mesh = await MeshBuilder.CreateAsync(api, new string('é', 200) + Guid.NewGuid().ToString("N")[..6]);
        var names = Enumerable.Range(0, 3).Select(i => new string('é', 250) + i).ToList();
        foreach (var name in names)
        {
            await mesh.NodeAsync(name);
        }

        Assert.Equal(names, await ReadAllAsync(Paths.VirtualNodes(mesh.Mesh), pageSize: 1));
    }

    [Fact]
    public async Task TagPages_OfLongNonAsciiKeys_FollowEveryNextToken()
    {
        var mesh = await MeshBuilder.CreateAsync(api, new string('é', 200) + Guid.NewGuid().ToString("N")[..6]);
        var arn = (await mesh.NodeAsync(new string('é', 255)))["metadata"]!["arn"]!.GetValue<string>();
        var keys = Enumerable.Range(0, 3).Select(i => new string('ü', 127) + i).ToArray();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = OperationTests.TagList(keys.Select(k => (k, "v")).ToArray()) }))
            .AssertOk();

        var listed = new List<string>();
        string? next = null;
        do
        {
            var url = Paths.Tags(arn) + "&limit=1" + (next is null ? "" : "&nextToken=" + Uri.EscapeDataString(next));
            var page = (await api.SendAsync(HttpMethod.Get, url)).AssertOk();
            listed.AddRange(page.Body!["tags"]!.AsArray().Select(t => t!["key"]!.GetValue<string>()));
            next = page.Body["nextToken"]?.GetValue<string>();
        }
        while (next is not null && listed.Count <= keys.Length);

        Assert.Equal(keys, listed);
    }

    [Fact]
    public async Task TokenOfTheEarlierFormat_StillReadsTheNextPage_OnlyOfItsList()
    {
        // Before the scope was signed rather than carried, a token was the JSON of the list's scope and last key and
        // the HMAC of that JSON: a listing begun before an upgrade goes on after it.
        var mesh = await MeshBuilder.CreateAsync(api);
        var other = await MeshBuilder.CreateAsync(api);
        foreach (var name in new[] { "a", "b", "c" })
        {
            await mesh.NodeAsync(name);
        }

        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh) + "?limit=1")).AssertOk(); // the signing key is made
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT value FROM settings WHERE key = 'page_token_key'", connection);
        var key = Convert.FromBase64String((string)(await read.ExecuteScalarAsync())!);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new { Scope = $"virtualNode/{mesh.Mesh}/", After = "a" });
        var token = $"{Base64Url(payload)}.{Base64Url(HMACSHA256.HashData(key, payload)[..16])}";

        Assert.Equal(["b", "c"], await ReadAllAsync(Paths.VirtualNodes(mesh.Mesh), pageSize: 2, startToken: token));
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(other.Mesh) + "?nextToken=" + token)).AssertError(400, "BadRequestException");
    }

    [Fact]
    public async Task TokenWhoseSignedMessageIsPassedAsAnEarlierFormatPayload_IsABadRequest()
    {
        // A token's signature is the HMAC of its scope's length, scope and key: sent as an earlier-format payload, that
        // message passes the earlier format's HMAC check, and is not the JSON the earlier format reads.
        var mesh = await MeshBuilder.CreateAsync(api);
        foreach (var name in new[] { "a", "b" })
        {
            await mesh.NodeAsync(name);
        }

        var first = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh) + "?limit=1")).AssertOk();
        var parts = first.Body!["nextToken"]!.GetValue<string>().Split('.');
        var scope = System.Text.Encoding.UTF8.GetBytes($"virtualNode/{mesh.Mesh}/");
        var after = Base64UrlDecode(parts[0]);
        var message = new byte[4 + scope.Length + after.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message, scope.Length);
        scope.CopyTo(message, 4);
        after.CopyTo(message, 4 + scope.Length);

        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh) + "?nextToken=" + $"{Base64Url(message)}.{parts[1]}"))
            .AssertError(400, "BadRequestException");
    }

    [Fact]
    public async Task Tags_Paginate()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var arn = (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).Body!["metadata"]!["arn"]!.GetValue<string>();
        var tags = Enumerable.Range(0, 7).Select(i => ($"k{i}", $"v{i}")).ToArray();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = OperationTests.TagList(tags) })).AssertOk();

        var keys = new List<string>();
        string? next = null;
        do
        {
            var url = Paths.Tags(arn) + "&limit=3" + (next is null ? "" : "&nextToken=" + Uri.EscapeDataString(next));
            var page = (await api.SendAsync(HttpMethod.Get, url)).AssertOk();
            keys.AddRange(page.Body!["tags"]!.AsArray().Select(t => t!["key"]!.GetValue<string>()));
            next = page.Body["nextToken"]?.GetValue<string>();
        }
        while (next is not null);

        Assert.Equal(tags.Select(t => t.Item1), keys);
    }

    [Fact]
    public async Task TooManyTags_IsTooManyTagsException()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var arn = (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).Body!["metadata"]!["arn"]!.GetValue<string>();
        var forty = Enumerable.Range(0, 40).Select(i => ($"a{i}", "x")).ToArray();
        var twenty = Enumerable.Range(0, 20).Select(i => ($"b{i}", "x")).ToArray();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = OperationTests.TagList(forty) })).AssertOk();
        var response = await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = OperationTests.TagList(twenty) });
        response.AssertError(400, "TooManyTagsException");
        Assert.Contains("would have 60 tags; a resource may have at most 50", response.Message);
    }

    [Fact]
    public async Task UnknownArn_IsNotFound_AndGarbageArn_IsBadRequest()
    {
        (await api.SendAsync(HttpMethod.Get, Paths.Tags($"arn:aws:appmesh:us-east-1:{ApiServer.AccountId}:mesh/nope"))).AssertError(404, "NotFoundException");
        (await api.SendAsync(HttpMethod.Get, Paths.Tags("not-an-arn"))).AssertError(400, "BadRequestException");
    }

    private async Task<List<string>> ReadAllAsync(string path, int pageSize, string? startToken = null)
    {
        var names = new List<string>();
        var next = startToken;
        var first = startToken is null;
        while (first || next is not null)
        {
            first = false;
            var url = $"{path}?limit={pageSize}" + (next is null ? "" : "&nextToken=" + Uri.EscapeDataString(next));
            var page = (await api.SendAsync(HttpMethod.Get, url)).AssertOk();
            names.AddRange(Names(page));
            next = page.Body!["nextToken"]?.GetValue<string>();
        }

        return names;
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static IEnumerable<string> Names(ApiResponse page) =>
        page.Body!["virtualNodes"]!.AsArray().Select(n => n!["virtualNodeName"]!.GetValue<string>());
}
