using Mesh.Model.Observability;

namespace Mesh.Model.Tests.Observability;

public sealed class MeshObservabilityTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""[{"key":"team","value":"payments"}]""")]
    public void NoTracingTags_IsNone(string? json) =>
        Assert.Same(MeshObservability.None, MeshObservability.FromTagsJson(json));

    [Fact]
    public void StoredTags_GiveTheTracing()
    {
        var observability = MeshObservability.FromTagsJson(
            """[{"key":"mesh.tracing/provider","value":"otel"},{"key":"mesh.tracing/endpoint","value":"collector:4317"},{"key":"mesh.tracing/sampling","value":"20"}]""");

        Assert.Equal(new MeshTracing(TracingProvider.OpenTelemetry, new TracingCollector("collector", 4317), 20), observability.Tracing);
        Assert.Empty(observability.Problems);
    }

    [Fact]
    public void UnusableTags_GiveNoTracing_AndSayWhy()
    {
        var observability = MeshObservability.FromTagsJson("""[{"key":"mesh.tracing/provider","value":"lightstep"}]""");

        Assert.Null(observability.Tracing);
        Assert.Equal(
            "tag mesh.tracing/provider: 'lightstep' is not a tracing provider; use zipkin, jaeger, opentelemetry, datadog or xray",
            Assert.Single(observability.Problems).ToString());
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"key":"mesh.tracing/provider","value":"zipkin"}""")]
    [InlineData("""[{"key":"mesh.tracing/provider"}]""")]
    [InlineData("""[{"key":"mesh.tracing/provider","value":7}]""")]
    [InlineData("[null]")]
    public void UnreadableTags_AreAProblem_NotAnError(string json)
    {
        var observability = MeshObservability.FromTagsJson(json);

        Assert.Null(observability.Tracing);
        Assert.Equal("the mesh's stored tags are not a JSON list of {key, value} strings", Assert.Single(observability.Problems).ToString());
    }

    [Fact]
    public void EqualTags_GiveEqualValues()
    {
        const string json = """[{"key":"mesh.tracing/provider","value":"xray"},{"key":"mesh.tracing/sampling","value":"nope"}]""";

        Assert.Equal(MeshObservability.FromTagsJson(json), MeshObservability.FromTagsJson(json));
        Assert.NotEqual(MeshObservability.FromTagsJson(json), MeshObservability.FromTagsJson(json.Replace("nope", "5")));
    }
}
