using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Api.Tests.Sdk;

namespace Mesh.Api.Tests.Fuzz;

/// <summary>
/// Paths the server rewrites before routing: '.' and '..' segments (removed, so the call would reach another
/// operation) and the API prefix in another case (matched by routing without regard to case).
/// </summary>
public sealed class PathNormalisationTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task DotNames_SentByBoto3_AreRefused_AndTheMeshIsUntouched()
    {
        var mesh = "dots-" + Guid.NewGuid().ToString("N")[..8];
        (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject
        {
            ["meshName"] = mesh,
            ["spec"] = new JsonObject { ["egressFilter"] = new JsonObject { ["type"] = "ALLOW_ALL" } },
        })).AssertOk();
        var before = await DatabaseSnapshot.TakeAsync(api.ConnectionString);

        // Each of these, routed on the normalised path, ran DeleteMesh, UpdateMesh, DescribeMesh or a List.
        SdkCall[] calls =
        [
            new("DescribeVirtualService", new JsonObject { ["meshName"] = mesh, ["virtualServiceName"] = "" }),
            new("DeleteVirtualNode", new JsonObject { ["meshName"] = mesh, ["virtualNodeName"] = ".." }),
            new("DeleteVirtualService", new JsonObject { ["meshName"] = mesh, ["virtualServiceName"] = ".." }),
            new("DeleteVirtualRouter", new JsonObject { ["meshName"] = mesh, ["virtualRouterName"] = ".." }),
            new("DeleteVirtualGateway", new JsonObject { ["meshName"] = mesh, ["virtualGatewayName"] = ".." }),
            new("UpdateVirtualNode", new JsonObject { ["meshName"] = mesh, ["virtualNodeName"] = "..", ["spec"] = new JsonObject() }),
            new("DescribeVirtualRouter", new JsonObject { ["meshName"] = mesh, ["virtualRouterName"] = ".." }),
            new("DescribeVirtualNode", new JsonObject { ["meshName"] = mesh, ["virtualNodeName"] = "." }),
            new("CreateVirtualNode", new JsonObject { ["meshName"] = ".", ["virtualNodeName"] = "x", ["spec"] = new JsonObject() }),
        ];

        var results = await SdkClients.RunBoto3Async(api.BaseAddress, SdkCredentials.For(api), calls);

        for (var i = 0; i < calls.Length; i++)
        {
            var result = results[i]!;
            var context = $"{calls[i].Operation}: {result.ToJsonString()}";
            Assert.False(result["ok"]!.GetValue<bool>(), context);
            Assert.True(result["code"]!.GetValue<string>() == "BadRequestException", context);
            Assert.Contains(i == 0 ? "has an empty segment" : "can be named '.' or '..'", result["message"]!.GetValue<string>());
        }

        DatabaseSnapshot.AssertUnchanged(before, await DatabaseSnapshot.TakeAsync(api.ConnectionString));
        var described = (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh))).AssertOk();
        Assert.Equal("ALLOW_ALL", described.Body!["spec"]!["egressFilter"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("DELETE", "/v20190125/meshes/{0}/virtualNodes/%2E%2E", "segment '%2E%2E'")]
    [InlineData("DELETE", "/v20190125/meshes/{0}/virtualRouters/.%2e", "segment '.%2e'")]
    [InlineData("GET", "/v20190125/meshes/{0}/virtualNodes/.", "segment '.'")]
    [InlineData("DELETE", "/v20190125/meshes/{0}/virtualGateways/x/../..", "segment '..'")]
    [InlineData("GET", "/v20190125/meshes/{0}/virtualServices/", "an empty segment")]
    [InlineData("DELETE", "/v20190125/meshes/{0}/virtualServices/", "an empty segment")]
    [InlineData("GET", "/v20190125/meshes//virtualNodes?x={0}", "an empty segment")]
    [InlineData("DELETE", "/v20190125/meshes/{0}/virtualNodes/b#/../..", "segment '..'")]
    [InlineData("DELETE", "http://{1}/v20190125/meshes/{0}/virtualNodes/..", "segment '..'")]
    public async Task DotAndEmptySegments_AsSentOnTheWire_AreRefusedBeforeAnyOperation(string method, string pathFormat, string problem)
    {
        var mesh = "wire-" + Guid.NewGuid().ToString("N")[..8];
        (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = mesh })).AssertOk();

        // A raw request: HttpClient's Uri would remove the dot segments itself before sending.
        var (status, errorType, message) = await SendRawAsync(method, string.Format(pathFormat, mesh, api.BaseAddress.Authority));

        Assert.Equal(400, status);
        Assert.Equal("BadRequestException", errorType);
        Assert.Contains(problem, message);
        (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh))).AssertOk();
    }

    [Theory]
    [InlineData("GET", "/v20190125/meshes/%FF")]
    [InlineData("DELETE", "/v20190125/meshes/%C3%28/virtualNodes/x")]
    public async Task PercentEscapesThatAreNotUtf8_AreRefused(string method, string path)
    {
        // Kept as text, "%FF" and "%25FF" addressed the same mesh.
        var response = await api.SendAsync(new HttpMethod(method), path);

        response.AssertError(400, "BadRequestException");
        Assert.Contains("percent-escapes that are not UTF-8", response.Message);
    }

    [Theory]
    [InlineData("/V20190125/meshes")]
    [InlineData("/V20190125/meshes/anything")]
    [InlineData("/CONSOLE/api/audit")]
    public async Task PrefixInAnotherCase_Unsigned_IsMissingAuthenticationToken(string path)
    {
        using var client = new HttpClient { BaseAddress = api.BaseAddress };
        var response = await ApiServer.SendAsync(client, new HttpRequestMessage(HttpMethod.Get, path));
        response.AssertError(403, "MissingAuthenticationTokenException");
    }

    [Fact]
    public async Task PrefixInAnotherCase_Signed_RunsTheOperation()
    {
        var mesh = "case-" + Guid.NewGuid().ToString("N")[..8];
        (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject { ["meshName"] = mesh })).AssertOk();

        var response = await api.SendAsync(HttpMethod.Get, "/V20190125/meshes/" + mesh);

        Assert.Equal(mesh, response.AssertOk().Body!["meshName"]!.GetValue<string>());
    }

    /// <summary>
    /// Kestrel refuses a NUL in the path (<c>%00</c>, which it decodes; Http1Connection.ParseTarget) while it parses the
    /// request line, before it makes the request's context: no middleware runs, and no Kestrel option or feature shapes
    /// that answer, an empty 400 without x-amzn-ErrorType (README, "What the web server answers itself"). Pinned so that
    /// the README is corrected if a later Kestrel lets it through. A <c>%00</c> in the query is not decoded by Kestrel
    /// and reaches Mesh, which answers it with an App Mesh error.
    /// </summary>
    [Fact]
    public async Task A_Nul_In_The_Path_Is_Refused_By_Kestrel_Itself_And_One_In_The_Query_Reaches_Mesh()
    {
        var (status, errorType, body) = await SendRawTextAsync("GET", "/v20190125/meshes/a%00b");
        Assert.Equal((400, "", ""), (status, errorType, body));

        (status, errorType, _) = await SendRawTextAsync("GET", "/v20190125/meshes?limit=%00");
        Assert.NotEqual("", errorType);
    }

    private async Task<(int Status, string ErrorType, string Message)> SendRawAsync(string method, string target)
    {
        var (status, errorType, body) = await SendRawTextAsync(method, target);
        // The error body may come chunked: its message is read from between the first '{' and the last '}'.
        var json = body[body.IndexOf('{')..(body.LastIndexOf('}') + 1)];
        return (status, errorType, JsonNode.Parse(json)!["message"]!.GetValue<string>());
    }

    /// <summary>A request sent as written (HttpClient's Uri would rewrite the target): the status, x-amzn-ErrorType ("" if none) and the body as sent.</summary>
    private async Task<(int Status, string ErrorType, string Body)> SendRawTextAsync(string method, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(api.BaseAddress.Host, api.BaseAddress.Port);
        var stream = tcp.GetStream();
        var request = $"{method} {target} HTTP/1.1\r\nHost: {api.BaseAddress.Authority}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var status = int.Parse(response.Split(' ', 3)[1]);
        var errorType = response.Split("\r\n").FirstOrDefault(line => line.StartsWith("x-amzn-ErrorType:", StringComparison.OrdinalIgnoreCase))
            ?["x-amzn-ErrorType:".Length..].Trim() ?? "";
        return (status, errorType, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }
}
