using Mesh.XdsServer.Diagnostics;

namespace Mesh.XdsServer.Tests.Diagnostics;

/// <summary>
/// The per-stream counters (a response, an ACK, a shared delta change: several per stream per change) count under
/// their label sets, and once a series exists, counting allocates nothing: no label string and no closure per call.
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

        var before = GC.GetAllocatedBytesForCurrentThread();
        Count(metrics, 1_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(1_100, metrics.Get("mesh_xds_acks_total", "type=\"rds\""));
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
