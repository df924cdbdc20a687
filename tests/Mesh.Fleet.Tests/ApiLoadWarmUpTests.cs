using Mesh.ApiLoad;

namespace Mesh.Fleet.Tests;

/// <summary>The API load client's warm-up repeats until the API's JIT is quiet: it must read the count right and judge it right.</summary>
public class ApiLoadWarmUpTests
{
    private const string Exposition = """
        # TYPE dotnet_jit_compiled_methods_total counter
        dotnet_jit_compiled_methods_total{otel_scope_name="System.Runtime"} 27762
        dotnet_jit_compiled_methods_total_other 5
        dotnet_gc_pause_time_seconds_total 0.25
        dotnet_gc_collections_total{gc_heap_generation="gen0"} 3
        dotnet_gc_collections_total{gc_heap_generation="gen1"} 2
        """;

    [Fact]
    public void ReadsACounterByItsWholeName_AndSumsItsLabelSets()
    {
        Assert.Equal(27762, ApiMetrics.Counter(Exposition, ApiMetrics.JitCompiledMethods));
        Assert.Equal(0.25, ApiMetrics.Counter(Exposition, ApiMetrics.GcPauseSeconds));
        Assert.Equal(5, ApiMetrics.Counter(Exposition, "dotnet_gc_collections_total"));
        Assert.True(double.IsNaN(ApiMetrics.Counter(Exposition, "dotnet_jit_compiled")));
    }

    [Fact]
    public void ReadsTheApisCpu_UserAndSystemSummed_AndItsAllocatedBytes()
    {
        const string exposition = """
            # TYPE dotnet_process_cpu_time_seconds_total counter
            dotnet_process_cpu_time_seconds_total{cpu_mode="user",otel_scope_name="System.Runtime"} 12.5
            dotnet_process_cpu_time_seconds_total{cpu_mode="system",otel_scope_name="System.Runtime"} 2.25
            process_cpu_time_seconds_total 99
            dotnet_gc_heap_total_allocated_bytes_total{otel_scope_name="System.Runtime"} 1048576
            """;
        Assert.Equal(14.75, ApiMetrics.Counter(exposition, ApiMetrics.CpuSeconds));
        Assert.Equal(1048576, ApiMetrics.Counter(exposition, ApiMetrics.AllocatedBytes));
    }

    [Fact]
    public void ReadsAHistogramsBucket_SummedOverItsLabelSets_AndTheShareOverIt()
    {
        const string exposition = """
            # TYPE http_server_request_duration_seconds histogram
            http_server_request_duration_seconds_bucket{http_route="/healthz",le="0.005"} 90
            http_server_request_duration_seconds_bucket{http_route="/healthz",le="0.01"} 99
            http_server_request_duration_seconds_bucket{http_route="/healthz",le="+Inf"} 100
            http_server_request_duration_seconds_bucket{http_route="/v",le="0.005"} 150
            http_server_request_duration_seconds_bucket{http_route="/v",le="0.0075"} 170
            http_server_request_duration_seconds_bucket{http_route="/v",le="0.01"} 180
            http_server_request_duration_seconds_sum{http_route="/v"} 1.5
            http_server_request_duration_seconds_count{http_route="/v"} 200
            http_server_request_duration_seconds_count{http_route="/healthz"} 100
            """;
        Assert.Equal(240, ApiMetrics.Bucket(exposition, ApiMetrics.RequestDuration, "0.005"));
        Assert.Equal(279, ApiMetrics.Bucket(exposition, ApiMetrics.RequestDuration, "0.01"));
        Assert.True(double.IsNaN(ApiMetrics.Bucket(exposition, ApiMetrics.RequestDuration, "0.05")));
        Assert.Equal(300, ApiMetrics.Counter(exposition, ApiMetrics.RequestDuration + "_count"));
        Assert.Equal(0.2, TailShares.Over(300, 240), 10);
        Assert.True(double.IsNaN(TailShares.Over(0, 0)));
    }

    [Fact]
    public void TheJitIsQuiet_OnlyBelowTheRate_OrWhenTheCountCouldNotBeRead()
    {
        Assert.False(JitQuiet.Is(632, TimeSpan.FromSeconds(49)));   // 12.9 a second: another pass
        Assert.True(JitQuiet.Is(67, TimeSpan.FromSeconds(46)));     // 1.5 a second
        Assert.False(JitQuiet.Is(JitQuiet.MethodsPerSecond * 30, TimeSpan.FromSeconds(30)));
        Assert.True(JitQuiet.Is(double.NaN, TimeSpan.FromSeconds(30)));
    }
}
