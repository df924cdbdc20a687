using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The report's settled memory row: the idle watch's last reading beside the reading 2 s after the connect, so a run
/// shows both what the connect's burst leaves and what an idle server holds once its trims have run.
/// </summary>
public sealed class SettledMemoryRowTests
{
    private static readonly RawFigures Raw = new(TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(7), 48 * 1024, 38 * 1024, 800, 2000, TimeSpan.FromSeconds(1));

    private static MeshFigures Mesh() => new("sotw-every", TimeSpan.FromSeconds(16), TimeSpan.FromSeconds(14), 66 * 1024, 42 * 1024,
        2600, 4800, TimeSpan.FromSeconds(2.7), 48389, 26001, 0, 900L << 20);

    [Fact]
    public void A_Watched_Run_Reports_The_Settled_Rss_Per_Proxy_And_How_Long_It_Was_Idle()
    {
        var rows = TableOf(Mesh() with { SettledRssPerProxy = 43.5 * 1024, SettledAfter = TimeSpan.FromSeconds(45) });

        Assert.Contains("| server RSS per connected idle proxy (2 s after the connect) | 66.0 KiB (1.4×) | 48.0 KiB |", rows);
        Assert.Contains("| server RSS per idle proxy, settled (idle watch's last reading, nothing forced) | 43.5 KiB (0.9×) after 45 s idle |  |", rows);
    }

    [Fact]
    public void A_Run_Without_The_Idle_Watch_Says_So_Instead_Of_A_Figure()
    {
        var rows = TableOf(Mesh());

        Assert.Contains("| server RSS per idle proxy, settled (idle watch's last reading, nothing forced) | not watched (--idle-watch) |  |", rows);
    }

    private static string[] TableOf(MeshFigures figures)
    {
        var output = new StringWriter();
        new Report { Output = output, ProxyCount = 10_000 }.Table(Raw, [figures], new Dictionary<string, RawFigures>());
        return output.ToString().Split(Environment.NewLine);
    }
}
