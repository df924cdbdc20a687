using Mesh.Fleet;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The report's rows against the raw limit fed the proxies' own requests: the connect's time and a change's p99
/// beside that raw form's, so a run shows how much of the ratio to the plain raw limit is the requests' bytes.
/// </summary>
public sealed class RawWithRequestsRowsTests
{
    private static readonly RawFigures Raw = new(TimeSpan.FromSeconds(3.66), TimeSpan.FromSeconds(3.3), 55 * 1024, 38 * 1024, 734, 1019, TimeSpan.FromMilliseconds(750))
    {
        Pushes = new ChangeSplit(1005, 750, 1020, 750),
    };

    private static readonly MeshFigures Mesh = new("sotw-every", TimeSpan.FromSeconds(9.22), TimeSpan.FromSeconds(7.6), 54 * 1024, 45 * 1024,
        1693, 3615, TimeSpan.FromMilliseconds(2080), 48389, 26001, 0, 900L << 20)
    {
        Changes = new ChangeSplit(3701, 2680, 2776, 1780),
    };

    [Fact]
    public void The_Connect_And_A_Changes_P99_Are_Set_Beside_The_Raw_Form_With_The_Same_Requests()
    {
        var withRequests = Raw with { Connect = TimeSpan.FromSeconds(8.91), P99 = 1800, Pushes = new ChangeSplit(1900, 1500, 1388, 1500) };

        var rows = TableOf(new Dictionary<string, RawFigures> { ["sotw-every"] = withRequests });

        Assert.Contains("| all connected and fully configured, × raw with the proxies' requests | 9.22 s (1.0×; that raw 8.91 s) |  |", rows);
        Assert.Contains("| route change, p99 across proxies, × raw with the proxies' requests | 3615 ms (2.0×; that raw 1800 ms) |  |", rows);
        Assert.Contains("| steady changes (2nd on), p99, × raw with the proxies' requests | 2776 ms (2.0×; that raw 1388 ms) |  |", rows);
    }

    [Fact]
    public void A_Run_Without_That_Raw_Form_Says_It_Was_Not_Measured()
    {
        var rows = TableOf(new Dictionary<string, RawFigures>());

        Assert.Contains("| all connected and fully configured, × raw with the proxies' requests | not measured |  |", rows);
        Assert.Contains("| route change, p99 across proxies, × raw with the proxies' requests | not measured |  |", rows);
    }

    private static string[] TableOf(IReadOnlyDictionary<string, RawFigures> withRequests)
    {
        var output = new StringWriter();
        new Report { Output = output, ProxyCount = 10_000 }.Table(Raw, [Mesh], withRequests);
        return output.ToString().Split(Environment.NewLine);
    }
}
