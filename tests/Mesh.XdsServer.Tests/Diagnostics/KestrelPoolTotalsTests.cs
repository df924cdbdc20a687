using System.Diagnostics.Metrics;
using Mesh.XdsServer.Diagnostics;

namespace Mesh.XdsServer.Tests.Diagnostics;

/// <summary>
/// Kestrel's pool instruments summed by the server's own listener (<see cref="KestrelPoolTotals"/>): the sums are
/// what the exporter would have aggregated, per owner, and only the meters of the server's own scope count.
/// </summary>
public sealed class KestrelPoolTotalsTests
{
    private const string Owner = "aspnetcore.memory_pool.owner";

    [Fact]
    public void Sums_Pooled_And_Rented_Bytes_Per_Owner_Of_Its_Own_Scope()
    {
        var scope = new object();
        using var kestrel = new Meter(new MeterOptions(KestrelPoolTotals.MeterName) { Scope = scope });
        var pooled = kestrel.CreateUpDownCounter<long>(KestrelPoolTotals.PooledName, "By");
        var rented = kestrel.CreateCounter<long>(KestrelPoolTotals.RentedName, "By");
        using var totals = new KestrelPoolTotals(scope, exportScope: null);

        pooled.Add(4096 * 3, new KeyValuePair<string, object?>(Owner, "kestrel"));
        pooled.Add(-4096, new KeyValuePair<string, object?>(Owner, "kestrel"));
        rented.Add(4096, new KeyValuePair<string, object?>(Owner, "kestrel"));
        pooled.Add(4096, new KeyValuePair<string, object?>(Owner, "other"));

        Assert.Equal(8192, totals.Pooled("kestrel"));
        Assert.Equal(4096, totals.Rented("kestrel"));
        Assert.Equal(4096, totals.Pooled("other"));
        Assert.Equal(0, totals.Rented("other"));
    }

    [Fact]
    public void Another_Servers_Pool_Does_Not_Count()
    {
        using var another = new Meter(new MeterOptions(KestrelPoolTotals.MeterName) { Scope = new object() });
        var pooled = another.CreateUpDownCounter<long>(KestrelPoolTotals.PooledName, "By");
        using var totals = new KestrelPoolTotals(new object(), exportScope: null);

        pooled.Add(4096, new KeyValuePair<string, object?>(Owner, "kestrel"));

        Assert.Equal(0, totals.Pooled("kestrel"));
    }

    [Fact]
    public void Exports_The_Sums_As_Kestrels_Instruments_With_The_Owner_Tag()
    {
        var scope = new object();
        using var kestrel = new Meter(new MeterOptions(KestrelPoolTotals.MeterName) { Scope = scope });
        var pooled = kestrel.CreateUpDownCounter<long>(KestrelPoolTotals.PooledName, "By");
        var exportScope = new object();
        using var totals = new KestrelPoolTotals(scope, exportScope);
        pooled.Add(12288, new KeyValuePair<string, object?>(Owner, "kestrel"));
        var seen = new List<(string Instrument, long Value, string? Owner)>();
        using var reader = new MeterListener();
        reader.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, exportScope))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        reader.SetMeasurementEventCallback<long>((instrument, value, tags, _) => seen.Add((instrument.Name, value, tags.ToArray().Single(t => t.Key == Owner).Value as string)));
        reader.Start();

        reader.RecordObservableInstruments();

        Assert.Contains((KestrelPoolTotals.PooledName, 12288L, "kestrel"), seen);
        Assert.DoesNotContain(seen, s => s.Instrument == KestrelPoolTotals.RentedName && s.Value != 0);
    }
}
