using Mesh.Api.Tests.Infrastructure;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Hosting;
using System.Diagnostics.Metrics;
using Mesh.Api.Observability;

namespace Mesh.Api.Tests;

public sealed class ObservabilityTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Metrics_CountCallsPerOperationAndOutcome()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).AssertOk();
        (await api.SendAsync(HttpMethod.Get, Paths.Mesh("missing-mesh"))).AssertError(404, "NotFoundException");

        // The exporter caches a scrape briefly; poll until this traffic shows, with a deadline.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        do
        {
            text = await api.Client.GetStringAsync("/metrics");
            // Every operation has a series from the start (at zero), so wait for this call's own series, and for the
            // create's duration: a cached scrape can hold one instrument's measurements from before the other's.
            if (System.Text.RegularExpressions.Regex.IsMatch(text, "mesh_api_calls_total\\{[^}]*error=\"NotFoundException\"[^}]*operation=\"DescribeMesh\"")
                && System.Text.RegularExpressions.Regex.IsMatch(text, "mesh_api_call_duration_seconds_bucket\\{[^}]*operation=\"CreateMesh\""))
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Contains("mesh_api_calls_total{", text);
        Assert.Matches("mesh_api_calls_total\\{[^}]*error=\"none\"[^}]*operation=\"CreateMesh\"[^}]*status=\"200\"", text);
        Assert.Matches("mesh_api_calls_total\\{[^}]*error=\"NotFoundException\"[^}]*operation=\"DescribeMesh\"[^}]*status=\"404\"", text);
        Assert.Contains("mesh_api_call_duration_seconds_bucket{", text);
        // Bounds in seconds, not OpenTelemetry's millisecond defaults (whose first bound is 5 s for this unit).
        Assert.Matches("mesh_api_call_duration_seconds_bucket\\{(?=[^}]*operation=\"CreateMesh\")(?=[^}]*le=\"0\\.005\")", text);
        Assert.DoesNotMatch("mesh_api_call_duration_seconds_bucket\\{[^}]*le=\"750\"", text);
        Assert.Contains("db_client_", text);
    }

    [Fact]
    public async Task Metrics_KeepCounting_AfterAnotherApiHostInTheProcessStops()
    {
        // Every API host has a meter named "Mesh.Api"; OpenTelemetry listens by name, so a host that exported another's
        // instruments ended its own series of the same names when that other host was disposed (tests run many hosts).
        var other = new ApiServer();
        await other.InitializeAsync();
        (await other.SendAsync(HttpMethod.Get, Paths.VirtualRouter("other-host-mesh", "r"))).AssertError(404, "NotFoundException");
        await other.DisposeAsync();

        (await api.SendAsync(HttpMethod.Get, Paths.VirtualRouter("missing-mesh", "r"))).AssertError(404, "NotFoundException");
        const string Series = "mesh_api_calls_total\\{[^}]*error=\"NotFoundException\"[^}]*operation=\"DescribeVirtualRouter\"[^}]*\\} (\\d+)";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        System.Text.RegularExpressions.Match count;
        do
        {
            count = System.Text.RegularExpressions.Regex.Match(await api.Client.GetStringAsync("/metrics"), Series);
            if (count.Success)
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        // This host's one call, not the other host's: each host exports only its own instruments.
        Assert.True(count.Success, "this host's DescribeVirtualRouter 404 never showed in its /metrics");
        Assert.Equal("1", count.Groups[1].Value);
    }

    [Fact]
    public async Task EveryApiCounter_IsSeededAtZero_WhenTheHostStarts()
    {
        // The host seeds at start...
        Assert.Contains(api.Services.GetServices<IHostedService>(), s => s is ApiMetricsSeeder);

        // ...and seeding gives every counter a measurement of zero. Watched on a meter factory of its own: every
        // test host in this process has a "Mesh.Api" meter, and the others are busy.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var metrics = new ApiMetrics(meters, TestMeters.UniqueName());
        var seen = new List<(string Instrument, long Value, string? Operation, string? Read, string? Reason)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? operation = null;
            string? read = null;
            string? reason = null;
            foreach (var tag in tags)
            {
                operation = tag.Key == "operation" ? (string?)tag.Value : operation;
                read = tag.Key == "read" ? (string?)tag.Value : read;
                reason = tag.Key == "reason" ? (string?)tag.Value : reason;
            }

            seen.Add((instrument.Name, value, operation, read, reason));
        });
        listener.Start();

        await new ApiMetricsSeeder(metrics, Mesh.Model.Wire.ServiceModel.AppMesh).StartAsync(CancellationToken.None);

        Assert.All(seen, m => Assert.Equal(0, m.Value));
        Assert.Equal(
            Mesh.Model.Wire.ServiceModel.AppMesh.Operations.Select(o => o.Name).Order(StringComparer.Ordinal),
            seen.Where(m => m.Instrument == "mesh.api.calls").Select(m => m.Operation!).Order(StringComparer.Ordinal));
        Assert.Contains(seen, m => m.Instrument == "mesh.api.audit.records.dropped");
        Assert.Equal(
            ["concurrent_update", "deadlock", "serialization", "token_race"],
            seen.Where(m => m.Instrument == "mesh.api.write.retries").Select(m => m.Reason!).Order(StringComparer.Ordinal));
        Assert.Contains(seen, m => m.Instrument == "mesh.api.write.abandoned");
        Assert.Contains(seen, m => m.Instrument == "mesh.api.write.cancels.skipped");
        Assert.Contains(seen, m => m.Instrument == "mesh.api.change_notify.failed");
        Assert.Contains(seen, m => m.Instrument == "mesh.api.read_barrier.failed");
        Assert.Contains(seen, m => m.Instrument == "mesh.api.read_cache.gaps_given_up");
        Assert.Contains(seen, m => m.Instrument == "mesh.api.read_cache.migrations");
        Assert.Equal(
            ["access_key", "cloud_map", "console", "readiness", "resource"],
            seen.Where(m => m.Instrument == "mesh.api.read.abandoned").Select(m => m.Read!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void FrameworkPerRequestLogs_AreOffByDefault_MeshOwnAreOn()
    {
        var loggers = api.Services.GetRequiredService<ILoggerFactory>();
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
        Assert.False(loggers.CreateLogger("Microsoft.EntityFrameworkCore.Database.Command").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.EntityFrameworkCore.Database.Command").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("Mesh.Api.Resources.WriteTransactions").IsEnabled(LogLevel.Information));
    }

    [Fact]
    public async Task CallsRefusedAtAuthentication_AreCounted()
    {
        using var unsigned = new HttpClient { BaseAddress = api.BaseAddress };
        Assert.Equal(403, (int)(await unsigned.GetAsync(Paths.Meshes)).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        do
        {
            text = await api.Client.GetStringAsync("/metrics");
            if (text.Contains("error=\"MissingAuthenticationTokenException\"", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Matches("mesh_api_calls_total\\{[^}]*error=\"MissingAuthenticationTokenException\"[^}]*operation=\"ListMeshes\"[^}]*status=\"403\"", text);
    }

    [Fact]
    public async Task RefusedCallsToUnknownPathsAndTargets_AreCountedUnderOneLabel_NotTheirText()
    {
        // A label per path or X-Amz-Target an unauthenticated caller sends would grow the metrics without bound.
        var marker = "m" + Guid.NewGuid().ToString("N")[..12];
        using var unsigned = new HttpClient { BaseAddress = api.BaseAddress };
        Assert.Equal(403, (int)(await unsigned.GetAsync($"/v20190125/{marker}/a")).StatusCode);
        using var cloudMap = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent("{}") };
        cloudMap.Headers.Add("X-Amz-Target", "Route53AutoNaming_v20170314." + marker);
        Assert.Equal(403, (int)(await unsigned.SendAsync(cloudMap)).StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        do
        {
            text = await api.Client.GetStringAsync("/metrics");
            if (text.Contains("operation=\"UnknownOperation\"", StringComparison.Ordinal)
                && text.Contains("operation=\"servicediscovery:UnknownOperation\"", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Matches("mesh_api_calls_total\\{[^}]*error=\"MissingAuthenticationTokenException\"[^}]*operation=\"UnknownOperation\"", text);
        Assert.Matches("mesh_api_calls_total\\{[^}]*error=\"MissingAuthenticationTokenException\"[^}]*operation=\"servicediscovery:UnknownOperation\"", text);
        Assert.DoesNotContain(marker, text);
    }

    [Fact]
    public async Task Metrics_Pass_Promtool_And_Include_Process_And_Runtime_Metrics()
    {
        (await api.SendAsync(HttpMethod.Get, "/v20190125/meshes")).AssertOk();

        var text = await api.Client.GetStringAsync("/metrics");

        await Promtool.AssertValidAsync(text);
        Assert.Contains("db_client_connections_usage{", text, StringComparison.Ordinal);
        foreach (var metric in new[] { "process_cpu_time_seconds_total", "process_memory_usage_bytes", "process_open_fds", "process_threads", "dotnet_gc_collections_total", "dotnet_gc_heap_total_allocated_bytes_total" })
        {
            Assert.Contains($"\n# TYPE {metric} ", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WriteRetries_AreCountedByReason_AndTheHelpTextNamesEachOne()
    {
        // Since migration ClaimWithoutSpeculativeInsert a clientToken race is retried too (into the other call's
        // replay); the help text once named only deadlocks and serialization failures.
        var reasons = new[] { "deadlock", "serialization", "token_race", "concurrent_update" };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        do
        {
            text = await api.Client.GetStringAsync("/metrics");
            if (reasons.All(r => System.Text.RegularExpressions.Regex.IsMatch(text, $"mesh_api_write_retries_total\\{{[^}}]*reason=\"{r}\"")))
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        var help = text.Split('\n').Single(l => l.StartsWith("# HELP mesh_api_write_retries_total ", StringComparison.Ordinal));
        Assert.Contains("clientToken", help, StringComparison.Ordinal);
        Assert.DoesNotContain("after a deadlock or serialization failure.", help, StringComparison.Ordinal);
        foreach (var reason in reasons)
        {
            Assert.Contains($"{reason}:", help, StringComparison.Ordinal);
            Assert.Matches($"mesh_api_write_retries_total\\{{[^}}]*reason=\"{reason}\"", text);
        }
    }

    [Fact]
    public async Task HelpTexts_NameEveryAnswerOfTheReadCache_AndEveryWayAnAuditRecordIsLost()
    {
        var text = await api.Client.GetStringAsync("/metrics");
        string Help(string metric) => text.Split('\n').Single(l => l.StartsWith($"# HELP {metric} ", StringComparison.Ordinal));

        // Describes that share another's read (answer="shared") came after the help text was written, which left them out.
        var describes = Help("mesh_api_read_cache_describes_total");
        foreach (var answer in new[] { "kept", "read", "refused", "unkept", "shared" })
        {
            Assert.Contains($"{answer}:", describes, StringComparison.Ordinal);
            Assert.Matches($"mesh_api_read_cache_describes_total\\{{[^}}]*answer=\"{answer}\"", text);
        }

        // The counter also counts records the database refused, records lost at shutdown and failed amendments of a
        // committed write's record (AuditLog), not only records dropped from a full queue.
        var dropped = Help("mesh_api_audit_records_dropped_total");
        foreach (var way in new[] { "queue", "refused", "shutdown", "amend" })
        {
            Assert.Contains(way, dropped, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task LivenessAndReadiness_AreSeparate()
    {
        using var client = new HttpClient { BaseAddress = api.BaseAddress };
        Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));
        Assert.Equal("Healthy", await client.GetStringAsync("/readyz"));
    }
}
