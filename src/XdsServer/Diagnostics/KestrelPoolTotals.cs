using System.Diagnostics.Metrics;

namespace Mesh.XdsServer.Diagnostics;

/// <summary>
/// Kestrel's memory pool meter (<c>Microsoft.AspNetCore.MemoryPool</c>) summed by a listener of the server's own and
/// exported as the same instruments: <c>aspnetcore.memory_pool.pooled</c> and <c>.rented</c>, per pool owner.
/// <para>
/// Why: Kestrel records both for every 4 KB block it rents and returns, a 49 KB request (an Envoy's node on every
/// request) being a dozen blocks through each of three pipes. OpenTelemetry's aggregation of each of those
/// measurements (a lookup of its tag set) was 3% of the server's CPU in a steady route change with the node on every
/// request (docs/benchmarks.md, issue13ae); an add to a running sum per owner is a fraction of that. The exporter reads
/// the sums when scraped, so <c>/metrics</c> shows what it showed. Kestrel's rarer instruments (<c>allocated</c>,
/// <c>evicted</c>) stay with the exporter.
/// </para>
/// </summary>
public sealed class KestrelPoolTotals : IDisposable
{
    public const string MeterName = "Microsoft.AspNetCore.MemoryPool";

    public const string PooledName = "aspnetcore.memory_pool.pooled";

    public const string RentedName = "aspnetcore.memory_pool.rented";

    private const string OwnerTag = "aspnetcore.memory_pool.owner";

    private readonly MeterListener _listener = new();
    private readonly Sums _pooled = new();
    private readonly Sums _rented = new();

    /// <summary>
    /// Sums the pool instruments of meters whose scope is <paramref name="meterScope"/> (the host's
    /// <see cref="IMeterFactory"/>, so a process with several servers, as in tests, counts each server's own); the
    /// sums are exported on a meter of the same name marked with <paramref name="exportScope"/>.
    /// </summary>
    public KestrelPoolTotals(object? meterScope, object? exportScope)
    {
        Meter = new Meter(new MeterOptions(MeterName) { Scope = exportScope });
        Meter.CreateObservableUpDownCounter(PooledName, _pooled.Observe, "By", "Number of bytes currently pooled and available for reuse.");
        Meter.CreateObservableCounter(RentedName, _rented.Observe, "By", "Total number of bytes rented from the memory pool.");
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && !ReferenceEquals(instrument.Meter, Meter) && ReferenceEquals(instrument.Meter.Scope, meterScope))
            {
                if (instrument.Name == PooledName)
                {
                    listener.EnableMeasurementEvents(instrument, _pooled);
                }
                else if (instrument.Name == RentedName)
                {
                    listener.EnableMeasurementEvents(instrument, _rented);
                }
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Sums)state!).Add(OwnerOf(tags), value));
        _listener.Start();
    }

    /// <summary>The meter the sums are exported on.</summary>
    public Meter Meter { get; }

    /// <summary>The bytes pooled now for <paramref name="owner"/>, as exported.</summary>
    public long Pooled(string owner) => _pooled.Of(owner);

    /// <summary>The bytes rented since the listener started for <paramref name="owner"/>, as exported.</summary>
    public long Rented(string owner) => _rented.Of(owner);

    private static string OwnerOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == OwnerTag)
            {
                return tag.Value as string ?? "";
            }
        }

        return "";
    }

    public void Dispose()
    {
        _listener.Dispose();
        Meter.Dispose();
    }

    /// <summary>A running sum per pool owner. Owners are one or two strings for the life of a process.</summary>
    private sealed class Sums
    {
        private readonly Lock _lock = new();
        private Owner[] _owners = [];

        // No lambda here: one capturing the owner would allocate its closure on every call, the fast path's too.
        public void Add(string owner, long value)
        {
            if (Find(Volatile.Read(ref _owners), owner) is { } known)
            {
                Interlocked.Add(ref known.Sum, value);
                return;
            }

            lock (_lock)
            {
                var entry = Find(_owners, owner);
                if (entry is null)
                {
                    entry = new Owner(owner);
                    _owners = [.. _owners, entry];
                }

                Interlocked.Add(ref entry.Sum, value);
            }
        }

        public long Of(string owner) => Find(Volatile.Read(ref _owners), owner) is { } entry ? Interlocked.Read(ref entry.Sum) : 0;

        private static Owner? Find(Owner[] owners, string owner)
        {
            foreach (var known in owners)
            {
                if (ReferenceEquals(known.Name, owner) || known.Name == owner)
                {
                    return known;
                }
            }

            return null;
        }

        public IEnumerable<Measurement<long>> Observe() =>
            Volatile.Read(ref _owners).Select(o => new Measurement<long>(Interlocked.Read(ref o.Sum), new KeyValuePair<string, object?>(OwnerTag, o.Name)));
    }

    private sealed class Owner(string name)
    {
        public string Name { get; } = name;

        public long Sum;
    }
}
