using System.Diagnostics.Metrics;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Diagnostics;

/// <summary>
/// The per-stream counters (a response, an ACK, a shared delta change: several per stream per change) count under
/// their label sets, and once a series exists, counting allocates nothing: no label string and no closure per call.
/// A listener (the exporter) is told nothing as they count, and reads each label set's total when it collects.
/// </summary>
public sealed class XdsMetricsCountingTests
{
    [Fact]
    public void Each_Type_And_Variant_Counts_Under_Its_Own_Labels()
    {
        using var metrics = new XdsMetrics();
        metrics.Ack("cds");
        metrics.Ack("cds");
        metrics.Ack("rds");
        metrics.ResponseSent("rds", "delta");
        metrics.DeltaChangeShared("lds");

        Assert.Equal(2, metrics.Get("mesh_xds_acks_total", "type=\"cds\""));
        Assert.Equal(1, metrics.Get("mesh_xds_acks_total", "type=\"rds\""));
        Assert.Equal(0, metrics.Get("mesh_xds_acks_total", "type=\"lds\""));
        Assert.Equal(1, metrics.Get("mesh_xds_responses_total", "type=\"rds\",variant=\"delta\""));
        Assert.Equal(0, metrics.Get("mesh_xds_responses_total", "type=\"rds\",variant=\"sotw\""));
        Assert.Equal(1, metrics.Get("mesh_xds_delta_changes_shared_total", "type=\"lds\""));
    }

    [Fact]
    public void Counting_An_Existing_Series_Allocates_Nothing()
    {
        using var metrics = new XdsMetrics();
        Count(metrics, 100); // every series made, every path run once

        var allocated = ThreadAllocations.InMostRounds(() => Count(metrics, 1_000));

        Assert.Equal(0, allocated);
        Assert.Equal(10_100, metrics.Get("mesh_xds_acks_total", "type=\"rds\"")); // 100, then ten rounds of 1,000
    }

    [Fact]
    public void A_Listener_Reads_The_Totals_When_It_Collects_And_Is_Told_Nothing_Per_Count()
    {
        using var metrics = new XdsMetrics();
        var seen = new List<(string Instrument, long Value, string Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            seen.Add((instrument.Name, value, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.Start();

        metrics.Ack("cds");
        metrics.Ack("cds");
        metrics.ResponseSent("rds", "sotw");
        Assert.Empty(seen);

        listener.RecordObservableInstruments();
        Assert.Contains(("mesh_xds_acks", 2L, "type=cds"), seen);
        Assert.Contains(("mesh_xds_acks", 0L, "type=lds"), seen); // seeded at zero, as every series is
        Assert.Contains(("mesh_xds_responses", 1L, "type=rds,variant=sotw"), seen);
        Assert.Single(seen, s => s.Instrument == "mesh_xds_acks" && s.Tags == "type=cds");
    }

    private static void Count(XdsMetrics metrics, int times)
    {
        for (var i = 0; i < times; i++)
        {
            metrics.Ack("rds");
            metrics.ResponseSent("rds", "delta");
            metrics.DeltaChangeShared("cds");
        }
    }
}
