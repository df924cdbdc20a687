using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Fuzz;

/// <summary>
/// A body that never finishes (shorter than its Content-Length, or chunked without its last chunk) is cut off by the
/// server's minimum body rate; the client is told what was wrong with its request in App Mesh's error, not the name of
/// a Kestrel setting.
/// </summary>
public sealed class SlowBodyTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Theory]
    [InlineData("Content-Length: 120", """{"meshName":"slow-body"}""")]
    [InlineData("Transfer-Encoding: chunked", "18\r\n{\"meshName\":\"slow-body\"}\r\n")]
    public async Task A_Body_That_Stops_Arriving_Is_A_BadRequest_Saying_So(string framing, string sent)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(api.BaseAddress.Host, api.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"PUT /v20190125/meshes HTTP/1.1\r\nHost: {api.BaseAddress.Authority}\r\nConnection: close\r\n"
            + $"Content-Type: application/json\r\n{framing}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + sent));

        // The connection stays open from this side: the server alone ends the request, after its grace period.
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.StartsWith("HTTP/1.1 400 ", response);
        Assert.Contains("x-amzn-ErrorType: BadRequestException", response, StringComparison.OrdinalIgnoreCase);
        var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        var message = JsonNode.Parse(body[body.IndexOf('{')..(body.LastIndexOf('}') + 1)])!["message"]!.GetValue<string>();
        Assert.Equal("The request body arrived too slowly (under 1024 bytes a second after the first 5 s): "
            + "send the whole body its Content-Length announces, or end a chunked body with its last chunk.", message);
    }
}
