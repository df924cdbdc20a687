using Envoy.Config.Route.V3;
using Google.Protobuf.Collections;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// What a push and an ACK cost in objects on every stream (docs/benchmarks.md, issue13at): a route change at 10,000
/// proxies runs these once per stream, so a few objects each are megabytes per change for the GC. The behaviour of
/// the same paths is the SotW and delta tests'.
/// </summary>
public sealed class PushAllocationTests
{
    [Fact]
    public void Choosing_What_A_Stream_Should_Hold_Allocates_Nothing_When_Nothing_Named_Changed()
    {
        var snapshot = new Snapshot(new Dictionary<string, ResourceSet>
        {
            [TypeUrls.Route] = new ResourceSet([Route("a"), Route("b"), Route("c")]),
        });
        var wildcard = new SotwTypeState { Subscribed = true, Wildcard = true };
        var named = new SotwTypeState { Subscribed = true };
        named.Request(new RepeatedField<string> { "a", "c" });
        named.Sent = SotwSession.Select(TypeUrls.Route, named, snapshot);
        Select(wildcard, named, snapshot, 10); // every path run once

        var allocated = ThreadAllocations.InMostRounds(() => Select(wildcard, named, snapshot, 1_000));

        // A wildcard stream gets the snapshot's own list, a named one the list it last got (every ACK): no closure,
        // no list, nothing. (A closure captured in the method cost 32 bytes per call here before.)
        Assert.Equal(0, allocated);
        Assert.Same(snapshot[TypeUrls.Route].Wildcard, SotwSession.Select(TypeUrls.Route, wildcard, snapshot));
        Assert.Equal(["a", "c"], SotwSession.Select(TypeUrls.Route, named, snapshot).Select(r => r.Name));
    }

    [Fact]
    public void A_Wildcard_Stream_That_Also_Names_On_Demand_Resources_Still_Gets_Both()
    {
        var onDemand = XdsResource.Create(TypeUrls.Route, "b", new RouteConfiguration { Name = "b" }, onDemandOnly: true);
        var snapshot = new Snapshot(new Dictionary<string, ResourceSet>
        {
            [TypeUrls.Route] = new ResourceSet([Route("a"), onDemand, Route("c")]),
        });
        var state = new SotwTypeState { Subscribed = true, Wildcard = true };
        state.Request(new RepeatedField<string> { "*", "b" });

        Assert.Equal(["a", "b", "c"], SotwSession.Select(TypeUrls.Route, state, snapshot).Select(r => r.Name));
    }

    private static void Select(SotwTypeState wildcard, SotwTypeState named, Snapshot snapshot, int times)
    {
        for (var i = 0; i < times; i++)
        {
            SotwSession.Select(TypeUrls.Route, wildcard, snapshot);
            SotwSession.Select(TypeUrls.Route, named, snapshot);
        }
    }

    private static XdsResource Route(string name) => XdsResource.Create(TypeUrls.Route, name, new RouteConfiguration { Name = name });
}
