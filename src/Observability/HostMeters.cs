using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Mesh.Observability;

/// <summary>
/// Keeps a host's <c>/metrics</c> to the meters its own <see cref="IMeterFactory"/> made (Mesh's, ASP.NET Core's,
/// Kestrel's), when several hosts share a process, as the tests' do. OpenTelemetry listens to meters by name, so without
/// this each host's exporter summed every host's instruments of a name, and when one host stopped, the others' series of
/// those names ended with it and never came back.
/// </summary>
public static class HostMeters
{
    public static MeterProviderBuilder ExportOnlyThisHostsMeters(this MeterProviderBuilder metrics)
    {
        ((IDeferredMeterProviderBuilder)metrics).Configure((services, builder) =>
        {
            var own = services.GetRequiredService<IMeterFactory>();
            builder.AddView(instrument => IsAnotherHosts(instrument, own) ? MetricStreamConfiguration.Drop : null);
        });
        return metrics;
    }

    /// <summary>A meter made by a host's factory carries that factory as its scope; static meters (the runtime's, Npgsql's) carry none.</summary>
    private static bool IsAnotherHosts(Instrument instrument, IMeterFactory own) =>
        instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own);
}
