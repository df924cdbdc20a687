using System.Diagnostics;

namespace Mesh.Fleet.Tests;

/// <summary>The fleet's per-proxy latency lines (<c>--latencies</c>): each proxy's latency, identity and connect order.</summary>
public sealed class ProxyLatenciesTests
{
    [Fact]
    public void Each_Proxy_Gets_Its_Latency_Its_Node_And_The_Rank_Of_Its_Configuration()
    {
        var second = Stopwatch.Frequency;
        long before = 100 * second;
        ProxyTimes[] proxies =
        [
            new("mesh/m/virtualNode/client-0", ConfiguredAt: 30 * second, AnsweredAt: before + (second * 3 / 2), ReceivedAt: before + second),
            new("mesh/m/virtualNode/client-0", ConfiguredAt: 10 * second, AnsweredAt: before + (second / 4), ReceivedAt: before + (second / 5)),
            new("mesh/m/virtualNode/client-1", ConfiguredAt: 20 * second, AnsweredAt: before + (2 * second), ReceivedAt: before + (2 * second)),
        ];

        Assert.Equal(
        [
            "sotw-every,2,0,mesh/m/virtualNode/client-0,2,1500.0,1000.0",
            "sotw-every,2,1,mesh/m/virtualNode/client-0,0,250.0,200.0",
            "sotw-every,2,2,mesh/m/virtualNode/client-1,1,2000.0,2000.0",
        ], ProxyLatencies.Lines("sotw-every", 2, proxies, before));
    }

    [Fact]
    public void A_New_File_Starts_With_The_Header_And_Later_Changes_Append_Below_It()
    {
        var file = Path.Combine(Path.GetTempPath(), $"latencies-{Guid.NewGuid():N}.csv");
        try
        {
            ProxyLatencies.Append(file, "sotw-every", 1, [], 0);
            ProxyLatencies.Append(file, "sotw-every", 2, [], 0);

            Assert.Equal([ProxyLatencies.Header], File.ReadAllLines(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
