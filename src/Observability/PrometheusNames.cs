using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Mesh.Observability;

/// <summary>
/// Renames instruments whose Prometheus names would end in <c>_count</c>, which Prometheus reserves for a histogram's or
/// summary's sample count (<c>promtool check metrics</c> refuses them, and queries mistake them for one). OpenTelemetry's
/// semantic conventions name several gauges <c>*.count</c>; the names chosen here are the ones Prometheus users know
/// (<c>process_open_fds</c>, as every Prometheus client exports it) or the earlier conventions' (<c>db.client.connections.usage</c>).
/// Both hosts export their process and runtime metrics through this view (<see cref="PlatformMetrics"/>).
/// </summary>
public static class PrometheusNames
{
    private const string CountSuffix = ".count";

    private static readonly Dictionary<string, string> Renames = new(StringComparer.Ordinal)
    {
        ["db.client.connection.count"] = "db.client.connections.usage",
        ["process.thread.count"] = "process.threads",
        ["process.unix.file_descriptor.count"] = "process.open_fds",
        ["dotnet.assembly.count"] = "dotnet.assemblies",
        ["dotnet.process.cpu.count"] = "dotnet.process.cpus",
        ["dotnet.timer.count"] = "dotnet.timers",
    };

    /// <summary>A view for <see cref="MeterProviderBuilderExtensions.AddView(MeterProviderBuilder, Func{Instrument, MetricStreamConfiguration?})"/>.</summary>
    public static MetricStreamConfiguration? View(Instrument instrument)
    {
        if (!instrument.Name.EndsWith(CountSuffix, StringComparison.Ordinal) || instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal))
        {
            return null;
        }

        // An instrument added by a later package version gets a lint-clean name until it earns a better one here.
        var name = Renames.GetValueOrDefault(instrument.Name) ?? instrument.Name[..^CountSuffix.Length] + ".number";
        return new MetricStreamConfiguration { Name = name };
    }
}
