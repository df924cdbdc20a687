using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary>
/// Tracing is configured by tags on the mesh (the App Mesh API has no field for it); tags the xDS server could not
/// use are refused where they are written, each named by its place in the request.
/// </summary>
public sealed class TracingTagTests(ApiServer api) : IClassFixture<ApiServer>
{
    private static JsonArray TagList(params (string Key, string Value)[] tags) => OperationTests.TagList(tags);

    [Fact]
    public async Task TagResource_AcceptsTracingTags_OnAMesh()
    {
        var arn = await MeshArnAsync();

        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject
        {
            ["tags"] = TagList(("mesh.tracing/provider", "opentelemetry"), ("mesh.tracing/endpoint", "otel-collector:4317"), ("mesh.tracing/sampling", "12.5")),
        })).AssertOk();

        Assert.Equal(
            ["mesh.tracing/endpoint=otel-collector:4317", "mesh.tracing/provider=opentelemetry", "mesh.tracing/sampling=12.5"],
            await TagsAsync(arn));
    }

    [Theory]
    [InlineData("mesh.tracing/provider", "lightstep", "tags[0].value: tag mesh.tracing/provider: 'lightstep' is not a tracing provider; use zipkin, jaeger, opentelemetry, datadog or xray")]
    [InlineData("mesh.tracing/endpoint", "http://zipkin:9411/api/v2/spans", "tags[0].value: tag mesh.tracing/endpoint: 'http://zipkin:9411/api/v2/spans' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/sampling", "200", "tags[0].value: tag mesh.tracing/sampling: '200' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)")]
    [InlineData("mesh.tracing/rate", "5", "tags[0].key: tag mesh.tracing/rate: no such tracing setting (the settings are mesh.tracing/provider, mesh.tracing/endpoint and mesh.tracing/sampling)")]
    public async Task TagResource_RejectsAnUnusableTracingTag_AndStoresNothing(string key, string value, string expected)
    {
        var arn = await MeshArnAsync();

        var response = await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = TagList((key, value), ("team", "payments")) });

        response.AssertError(400, "BadRequestException");
        Assert.Equal($"1 validation error detected: {expected}", response.Message);
        Assert.Empty(await TagsAsync(arn));
    }

    [Fact]
    public async Task TagResource_ChecksTheMeshsTagsAsTheyWillBe()
    {
        // A daemon name is a fine endpoint on its own, but X-Ray needs an IP: the provider is what makes it wrong.
        var arn = await MeshArnAsync();
        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = TagList(("mesh.tracing/endpoint", "xray-daemon:2000")) })).AssertOk();

        var response = await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = TagList(("mesh.tracing/provider", "xray")) });

        response.AssertError(400, "BadRequestException");
        Assert.Equal(
            "1 validation error detected: tags: tag mesh.tracing/endpoint already on the mesh: the X-Ray daemon address must be an IP address (Envoy does not resolve it), not 'xray-daemon'",
            response.Message);
        Assert.Equal(["mesh.tracing/endpoint=xray-daemon:2000"], await TagsAsync(arn));
    }

    [Fact]
    public async Task CreateMesh_RejectsUnusableTracingTags_NamingEach()
    {
        var response = await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject
        {
            ["meshName"] = "traced-" + Guid.NewGuid().ToString("N")[..8],
            ["tags"] = TagList(("mesh.tracing/provider", "zipkn"), ("owner", "payments"), ("mesh.tracing/sampling", "all")),
        });

        response.AssertError(400, "BadRequestException");
        Assert.Equal(
            "2 validation errors detected: "
            + "tags[0].value: tag mesh.tracing/provider: 'zipkn' is not a tracing provider; use zipkin, jaeger, opentelemetry, datadog or xray; "
            + "tags[2].value: tag mesh.tracing/sampling: 'all' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)",
            response.Message);
    }

    [Fact]
    public async Task CreateMesh_AcceptsTracingTags()
    {
        var response = (await api.SendAsync(HttpMethod.Put, Paths.Meshes, new JsonObject
        {
            ["meshName"] = "traced-" + Guid.NewGuid().ToString("N")[..8],
            ["tags"] = TagList(("mesh.tracing/provider", "xray"), ("mesh.tracing/sampling", "5")),
        })).AssertOk();

        Assert.Equal(["mesh.tracing/provider=xray", "mesh.tracing/sampling=5"], await TagsAsync(response.Body!["metadata"]!["arn"]!.GetValue<string>()));
    }

    [Fact]
    public async Task TracingTags_OnOtherResources_AreNotChecked()
    {
        // They configure nothing there, so they are ordinary tags.
        var mesh = await MeshBuilder.CreateAsync(api);
        var arn = (await mesh.NodeAsync("web"))["metadata"]!["arn"]!.GetValue<string>();

        (await api.SendAsync(HttpMethod.Put, Paths.Tag(arn), new JsonObject { ["tags"] = TagList(("mesh.tracing/provider", "lightstep")) })).AssertOk();
    }

    private async Task<string> MeshArnAsync()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        return (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).Body!["metadata"]!["arn"]!.GetValue<string>();
    }

    private async Task<List<string>> TagsAsync(string arn) =>
        (await api.SendAsync(HttpMethod.Get, Paths.Tags(arn))).AssertOk().Body!["tags"]!.AsArray()
            .Select(t => $"{t!["key"]}={t["value"]}")
            .ToList();
}
