namespace Mesh.Fleet.Tests;

/// <summary>Every route change of a run must write a retry count other than the one stored, or nothing reaches any proxy.</summary>
public class RouteRetryCycleTests
{
    [Fact]
    public void EveryChangeWritesAnotherCountThanTheOneStored()
    {
        var cycle = new RouteRetryCycle();
        var stored = Mesh.ApiLoad.Specs.RouteRetries;
        var written = new List<int>();
        for (var change = 0; change < 3 * (RouteRetryCycle.Highest - RouteRetryCycle.Lowest + 1); change++)
        {
            var next = cycle.Next();
            Assert.NotEqual(stored, next);
            Assert.Equal(next, cycle.Current);
            written.Add(next);
            stored = next;
        }

        Assert.Equal(Enumerable.Range(RouteRetryCycle.Lowest, RouteRetryCycle.Highest - RouteRetryCycle.Lowest + 1), written.Distinct().Order());
    }

    [Fact]
    public void TheChangedRouteCarriesTheCountAndNothingElseChanges()
    {
        var created = Mesh.ApiLoad.Specs.Route("svc-0");
        var changed = FleetMesh.ChangedRoute(5);

        Assert.Equal(5, (int)changed["httpRoute"]!["retryPolicy"]!["maxRetries"]!);
        changed["httpRoute"]!["retryPolicy"]!["maxRetries"] = Mesh.ApiLoad.Specs.RouteRetries;
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(created, changed));
    }
}
