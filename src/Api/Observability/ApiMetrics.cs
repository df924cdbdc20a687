using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Api.Observability;

/// <summary>
/// The API's own instruments: calls, errors and latency per App Mesh operation. Exported with
/// everything else OpenTelemetry collects (HTTP server, Npgsql database latency) at GET /metrics.
/// </summary>
public sealed class ApiMetrics : IDisposable
{
    public const string MeterName = "Mesh.Api";
    public const string ActivitySourceName = "Mesh.Api";

    public static readonly ActivitySource Activities = new(ActivitySourceName);

    private readonly Meter meter;
    private readonly Counter<long> calls;
    private readonly Histogram<double> duration;

    public ApiMetrics(IMeterFactory meters)
    {
        meter = meters.Create(MeterName);
        calls = meter.CreateCounter<long>("mesh.api.calls", unit: "{call}", description: "App Mesh API calls by operation and outcome.");
        duration = meter.CreateHistogram<double>("mesh.api.call.duration", unit: "s", description: "App Mesh API call latency by operation.");
    }

    /// <summary>Records one finished call; <paramref name="errorCode"/> is empty on success.</summary>
    public void Record(string operation, int statusCode, string errorCode, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { "operation", operation },
            { "status", statusCode },
            { "error", errorCode.Length == 0 ? "none" : errorCode },
        };
        calls.Add(1, tags);
        duration.Record(elapsed.TotalSeconds, new TagList { { "operation", operation } });
    }

    public void Dispose() => meter.Dispose();
}
