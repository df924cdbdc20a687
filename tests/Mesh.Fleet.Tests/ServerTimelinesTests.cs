using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The server's timeline of a change per identity beside that identity's proxies (<c>--server-timelines</c>): the
/// server's times moved to the fleet's "after the API write", the proxies matched by their node's ARN, and the
/// server's changes from before the write left out.
/// </summary>
public sealed class ServerTimelinesTests
{
    [Fact]
    public void Each_Identity_Of_The_Changes_After_The_Write_Gets_Its_Server_Times_And_Its_Proxies_Latencies()
    {
        var ms = Stopwatch.Frequency / 1000;
        long before = 1_000_000 * ms;
        var report = JsonNode.Parse($$$"""
            {"frequency":{{{Stopwatch.Frequency}}},"changes":[
              {"mesh":"111122223333/fleet","generation":3,"handedAt":{{{before - (50 * ms)}}},"identities":[
                {"identity":"111122223333:mesh/fleet/virtualNode/client-0","order":0,"thread":4,"buildStartedMs":1,"buildFinishedMs":2,"publishedMs":3,"outcome":"offered","offered":2,
                 "taken":{"count":2,"firstMs":4,"lastMs":5},"slotted":{"count":2,"firstMs":6,"lastMs":7},"written":{"count":2,"firstMs":8,"lastMs":9}}]},
              {"mesh":"111122223333/fleet","generation":4,"handedAt":{{{before + (100 * ms)}}},"identities":[
                {"identity":"111122223333:mesh/fleet/virtualNode/client-1","order":0,"thread":4,"buildStartedMs":0.5,"buildFinishedMs":2.2,"publishedMs":2.5,"outcome":"offered","offered":1,
                 "taken":{"count":1,"firstMs":10,"lastMs":10},"slotted":{"count":0,"firstMs":null,"lastMs":null},"written":{"count":1,"firstMs":20,"lastMs":20}},
                {"identity":"111122223333:mesh/fleet/virtualNode/client-0","order":1,"thread":7,"buildStartedMs":1,"buildFinishedMs":3,"publishedMs":4,"outcome":"offered","offered":2,
                 "taken":{"count":2,"firstMs":30,"lastMs":40},"slotted":{"count":2,"firstMs":31,"lastMs":41},"written":{"count":2,"firstMs":35,"lastMs":45}}]}]}
            """)!;
        ProxyTimes[] proxies =
        [
            new("arn:aws:appmesh:us-east-1:111122223333:mesh/fleet/virtualNode/client-0", 0, before + (160 * ms), 0),
            new("arn:aws:appmesh:us-east-1:111122223333:mesh/fleet/virtualNode/client-1", 0, before + (130 * ms), 0),
            new("mesh/fleet/virtualNode/client-0", 0, before + (150 * ms), 0),
            new("mesh/fleet/virtualNode/client-10", 0, before + (170 * ms), 0),
        ];

        Assert.Equal(
        [
            "sotw-every,2,111122223333:mesh/fleet/virtualNode/client-1,1,0,4,100.0,100.5,102.2,102.5,offered,1,1,110.0,110.0,0,,,1,120.0,120.0,130.0,130.0,130.0",
            "sotw-every,2,111122223333:mesh/fleet/virtualNode/client-0,2,1,7,100.0,101.0,103.0,104.0,offered,2,2,130.0,140.0,2,131.0,141.0,2,135.0,145.0,150.0,160.0,160.0",
        ], ServerTimelines.Lines("sotw-every", 2, report, proxies, before));
    }

    [Fact]
    public void A_Server_On_Another_Clock_Is_Refused()
    {
        var report = JsonNode.Parse($$"""{"frequency":{{Stopwatch.Frequency + 1}},"changes":[]}""")!;

        Assert.Throws<InvalidOperationException>(() => ServerTimelines.Lines("sotw-every", 1, report, [], 0).ToList());
    }
}
