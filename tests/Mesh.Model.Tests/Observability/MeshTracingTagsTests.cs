using Mesh.Model.Observability;

namespace Mesh.Model.Tests.Observability;

public sealed class MeshTracingTagsTests
{
    private static (MeshTracing? Tracing, IReadOnlyList<TracingTagProblem> Problems) Parse(params (string Key, string Value)[] tags) =>
        MeshTracingTags.Parse(tags.Select(t => new ResourceTag(t.Key, t.Value)));

    [Theory]
    [InlineData("zipkin", TracingProvider.Zipkin, 9411)]
    [InlineData("jaeger", TracingProvider.Jaeger, 9411)]
    [InlineData("opentelemetry", TracingProvider.OpenTelemetry, 4317)]
    [InlineData("otel", TracingProvider.OpenTelemetry, 4317)]
    [InlineData("datadog", TracingProvider.Datadog, 8126)]
    [InlineData("xray", TracingProvider.XRay, 2000)]
    [InlineData("XRay", TracingProvider.XRay, 2000)]
    public void Provider_Alone_UsesTheLocalAgent(string value, TracingProvider provider, int port)
    {
        var (tracing, problems) = Parse(("mesh.tracing/provider", value));

        Assert.Empty(problems);
        Assert.Equal(new MeshTracing(provider, new TracingCollector("127.0.0.1", port), null), tracing);
    }

    [Theory]
    [InlineData("zipkin.observability:9411", "zipkin.observability", 9411)]
    [InlineData("collector.svc.cluster.local.:80", "collector.svc.cluster.local.", 80)]
    [InlineData("10.1.2.3:65535", "10.1.2.3", 65535)]
    [InlineData("[fd00::1]:4317", "fd00::1", 4317)]
    [InlineData("localhost:1", "localhost", 1)]
    public void Endpoint_IsHostAndPort(string value, string host, int port)
    {
        var (tracing, problems) = Parse(("mesh.tracing/provider", "zipkin"), ("mesh.tracing/endpoint", value));

        Assert.Empty(problems);
        Assert.Equal(new TracingCollector(host, port), tracing!.Collector);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("5", 5)]
    [InlineData("0.5", 0.5)]
    [InlineData("100", 100)]
    [InlineData("99.999999", 99.999999)]
    public void Sampling_IsAPercentage(string value, double percent)
    {
        var (tracing, problems) = Parse(("mesh.tracing/provider", "datadog"), ("mesh.tracing/sampling", value));

        Assert.Empty(problems);
        Assert.Equal(percent, tracing!.SamplingPercent);
    }

    [Fact]
    public void OtherTags_AreNotTracing()
    {
        var (tracing, problems) = Parse(("team", "payments"), ("mesh.tracing", "zipkin"), ("Mesh.Tracing/provider", "nope"));

        Assert.Null(tracing);
        Assert.Empty(problems);
    }

    [Fact]
    public void Settings_WithoutProvider_AreInert()
    {
        // Tags can be added one call at a time, and removing the provider is how tracing is switched off.
        var (tracing, problems) = Parse(("mesh.tracing/endpoint", "zipkin:9411"), ("mesh.tracing/sampling", "5"));

        Assert.Null(tracing);
        Assert.Empty(problems);
    }

    [Theory]
    [InlineData("mesh.tracing/provider", "lightstep", "'lightstep' is not a tracing provider; use zipkin, jaeger, opentelemetry, datadog or xray")]
    [InlineData("mesh.tracing/provider", "", "'' is not a tracing provider; use zipkin, jaeger, opentelemetry, datadog or xray")]
    [InlineData("mesh.tracing/endpoint", "zipkin", "'zipkin' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", "zipkin:0", "'zipkin:0' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", "zipkin:65536", "'zipkin:65536' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", ":9411", "':9411' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", "http://zipkin:9411", "'http://zipkin:9411' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", "zip_kin:9411", "'zip_kin:9411' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", "10.0.0.300:9411", "'10.0.0.300:9411' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", "10.1:9411", "'10.1:9411' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", "fd00::1:4317", "'fd00::1:4317' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", "zipkin.local\n:9411", "'zipkin.local\n:9411' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/endpoint", "zipkin:9411\n", "'zipkin:9411\n' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/sampling", "5\n", "'5\n' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)")]
    [InlineData("mesh.tracing/endpoint", "[zipkin]:9411", "'[zipkin]:9411' is not host:port (a DNS name or IP address, and a port from 1 to 65535)")]
    [InlineData("mesh.tracing/sampling", "101", "'101' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)")]
    [InlineData("mesh.tracing/sampling", "-1", "'-1' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)")]
    [InlineData("mesh.tracing/sampling", "5%", "'5%' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)")]
    [InlineData("mesh.tracing/sampling", "0,5", "'0,5' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)")]
    [InlineData("mesh.tracing/sampling", "1e2", "'1e2' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)")]
    [InlineData("mesh.tracing/sampling", "NaN", "'NaN' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)")]
    [InlineData("mesh.tracing/sample", "5", "no such tracing setting (the settings are mesh.tracing/provider, mesh.tracing/endpoint and mesh.tracing/sampling)")]
    public void Rejects_UnusableValue(string key, string value, string message)
    {
        var tags = key == "mesh.tracing/provider" ? [(key, value)] : new[] { ("mesh.tracing/provider", "zipkin"), (key, value) };

        var (tracing, problems) = Parse(tags);

        Assert.Null(tracing);
        Assert.Equal([new TracingTagProblem(key, message)], problems);
    }

    [Fact]
    public void Rejects_XRayDaemonByName()
    {
        var (tracing, problems) = Parse(("mesh.tracing/provider", "xray"), ("mesh.tracing/endpoint", "xray-daemon:2000"));

        Assert.Null(tracing);
        Assert.Equal(
            [new TracingTagProblem("mesh.tracing/endpoint", "the X-Ray daemon address must be an IP address (Envoy does not resolve it), not 'xray-daemon'")],
            problems);
    }

    [Fact]
    public void Reports_EveryProblem_InKeyOrder()
    {
        var (_, problems) = Parse(("mesh.tracing/sampling", "lots"), ("mesh.tracing/provider", "nope"), ("mesh.tracing/endpoint", "x"));

        Assert.Equal(["mesh.tracing/endpoint", "mesh.tracing/provider", "mesh.tracing/sampling"], problems.Select(p => p.Key));
    }

    [Theory]
    [InlineData("127.0.0.1", 9411, "127.0.0.1:9411")]
    [InlineData("fd00::1", 4317, "[fd00::1]:4317")]
    [InlineData("zipkin", 80, "zipkin:80")]
    public void Collector_PrintsAsHostPort(string host, int port, string expected) =>
        Assert.Equal(expected, new TracingCollector(host, port).ToString());
}
