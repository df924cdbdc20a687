using System.Globalization;
using System.Text;

namespace Mesh.XdsServer.Diagnostics;

/// <summary>
/// A Prometheus histogram of durations with fixed buckets. Recording is two interlocked adds, so it is cheap
/// enough for the push path of every stream; rendering reads the counters without stopping writers, which can
/// make one scrape a sample short, as Prometheus clients generally allow.
/// </summary>
public sealed class LatencyHistogram(string name, string help)
{
    /// <summary>Upper bounds in seconds: from a push to a waiting local proxy (sub-millisecond) to one stuck behind a slow reader.</summary>
    public static readonly double[] Bounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly long[] _counts = new long[Bounds.Length + 1]; // the last is +Inf
    private long _sumTicks;

    public string Name { get; } = name;

    public string Help { get; } = help;

    public long Count
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                total += Interlocked.Read(ref _counts[i]);
            }

            return total;
        }
    }

    public void Record(TimeSpan duration)
    {
        // A plain scan: this runs for every push to every stream, so no closure is allocated here.
        var seconds = duration.TotalSeconds;
        var bucket = 0;
        while (bucket < Bounds.Length && seconds > Bounds[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Add(ref _sumTicks, Math.Max(0, duration.Ticks));
    }

    public void Render(StringBuilder text)
    {
        text.Append("# HELP ").Append(Name).Append(' ').Append(Help).Append('\n');
        text.Append("# TYPE ").Append(Name).Append(" histogram\n");
        long cumulative = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            cumulative += Interlocked.Read(ref _counts[i]);
            var le = i < Bounds.Length ? Bounds[i].ToString(CultureInfo.InvariantCulture) : "+Inf";
            text.Append(Name).Append("_bucket{le=\"").Append(le).Append("\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        var sum = TimeSpan.FromTicks(Interlocked.Read(ref _sumTicks)).TotalSeconds;
        text.Append(Name).Append("_sum ").Append(sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        text.Append(Name).Append("_count ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
