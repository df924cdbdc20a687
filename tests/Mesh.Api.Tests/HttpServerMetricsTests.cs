using Mesh.Api.Observability;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests;

/// <summary>
/// "Mesh:HttpServerMetrics": on (the default), <c>/metrics</c> carries ASP.NET Core's HTTP server metrics, which the
/// Grafana dashboard's request duration panel reads; off, they and the instrumentation's per-request middleware are
/// left out, and Mesh's own call metrics are still there.
/// </summary>
public sealed class HttpServerMetricsTests
{
    private const string ErrorTypeFilter = "HttpServerErrorTypeStartupFilter";

    public sealed class Default(ApiServer api) : IClassFixture<ApiServer>
    {
        [Fact]
        public async Task Metrics_CarryAspNetCoresHttpServerMetrics()
        {
            var mesh = await MeshBuilder.CreateAsync(api);
            (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).AssertOk();

            var text = await ScrapeUntilAsync(api, "http_server_request_duration_seconds_bucket{");

            Assert.Contains("http_server_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
            Assert.Contains("mesh_api_call_duration_seconds_bucket{", text, StringComparison.Ordinal);
            Assert.Contains(api.Services.GetServices<IStartupFilter>(), filter => filter.GetType().Name == ErrorTypeFilter);
        }
    }

    public sealed class Off(Off.OffApi api) : IClassFixture<Off.OffApi>
    {
        public sealed class OffApi : ApiServer
        {
            public OffApi() => Settings["Mesh:HttpServerMetrics"] = "false";
        }

        [Fact]
        public async Task Metrics_LeaveOutAspNetCoresHttpServerMetrics_AndKeepMeshsOwn()
        {
            var mesh = await MeshBuilder.CreateAsync(api);
            (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).AssertOk();
            (await api.SendAsync(HttpMethod.Get, Paths.Mesh("missing-mesh"))).AssertError(404, "NotFoundException");

            var text = await ScrapeUntilAsync(api, "error=\"NotFoundException\"");

            await Promtool.AssertValidAsync(text);
            Assert.Matches("mesh_api_calls_total\\{[^}]*error=\"none\"[^}]*operation=\"DescribeMesh\"[^}]*status=\"200\"", text);
            Assert.Matches("mesh_api_calls_total\\{[^}]*error=\"NotFoundException\"[^}]*operation=\"DescribeMesh\"[^}]*status=\"404\"", text);
            Assert.Contains("mesh_api_call_duration_seconds_bucket{", text, StringComparison.Ordinal);
            Assert.Contains("db_client_", text, StringComparison.Ordinal);
            Assert.Contains("\n# TYPE process_cpu_time_seconds_total ", text, StringComparison.Ordinal);
            Assert.DoesNotContain("http_server_", text, StringComparison.Ordinal);
            Assert.DoesNotContain("kestrel_", text, StringComparison.Ordinal);
            Assert.DoesNotContain("aspnetcore_", text, StringComparison.Ordinal);
            Assert.DoesNotContain(api.Services.GetServices<IStartupFilter>(), filter => filter.GetType().Name == ErrorTypeFilter);
        }
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("false", false)]
    public void Setting_IsReadAsABoolean_OnByDefault(string? value, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Mesh:HttpServerMetrics"] = value }).Build();
        Assert.Equal(expected, ObservabilityHosting.HttpServerMetrics(configuration));
    }

    [Fact]
    public void Setting_ThatIsNotABoolean_StopsTheStart_NamingIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Mesh:HttpServerMetrics"] = "off" }).Build();
        var error = Assert.Throws<ApiConfigurationException>(() => ObservabilityHosting.HttpServerMetrics(configuration));
        Assert.Equal("Mesh:HttpServerMetrics must be true or false, not 'off'.", error.Message);
    }

    /// <summary>The exporter caches a scrape briefly; scrapes until <paramref name="expected"/> shows, with a deadline.</summary>
    private static async Task<string> ScrapeUntilAsync(ApiServer api, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        do
        {
            text = await api.Client.GetStringAsync("/metrics");
            if (text.Contains(expected, StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        return text;
    }
}
