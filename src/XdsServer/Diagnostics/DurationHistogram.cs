using System.Diagnostics.Metrics;

namespace Mesh.XdsServer.Diagnostics;

/// <summary>
/// A histogram of durations in seconds on the xDS server's meter, with bucket bounds that suit it: from a push to a
/// waiting local proxy (sub-millisecond) to one stuck behind a slow reader. <see cref="Count"/> lets the server's own
/// tests see that a duration was recorded without scraping.
/// </summary>
public sealed class DurationHistogram
{
    /// <summary>Upper bounds in seconds.</summary>
    public static readonly IReadOnlyList<double> Bounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram<double> _histogram;
    private long _count;

    internal DurationHistogram(Meter meter, string name, string description)
    {
        _histogram = meter.CreateHistogram(name, unit: "s", description: description,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Bounds });
    }

    public long Count => Interlocked.Read(ref _count);

    public void Record(TimeSpan elapsed)
    {
        _histogram.Record(elapsed.TotalSeconds);
        Interlocked.Increment(ref _count);
    }
}
