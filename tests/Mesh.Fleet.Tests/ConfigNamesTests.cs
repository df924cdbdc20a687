using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Fleet.Tests;

/// <summary>
/// What a simulated Envoy reads from a cluster or listener (<see cref="ConfigNames"/>), kept per resource content:
/// the same answer as parsing, for every proxy that receives the same bytes, and a different one for other bytes.
/// </summary>
public class ConfigNamesTests
{
    private static Any EdsCluster(string name, string serviceName = "") => Any.Pack(new Cluster
    {
        Name = name,
        Type = Cluster.Types.DiscoveryType.Eds,
        EdsClusterConfig = new Cluster.Types.EdsClusterConfig { ServiceName = serviceName },
    });

    private static Any ListenerWithRoutes(string name, params string[] routes)
    {
        var listener = new Listener { Name = name };
        foreach (var route in routes)
        {
            var manager = new HttpConnectionManager { StatPrefix = route, Rds = new Rds { RouteConfigName = route } };
            listener.FilterChains.Add(new FilterChain { Filters = { new Envoy.Config.Listener.V3.Filter { Name = "hcm", TypedConfig = Any.Pack(manager) } } });
        }

        return Any.Pack(listener);
    }

    [Fact]
    public void An_Eds_Cluster_Gives_Its_Service_Name_Or_Else_Its_Own_Name()
    {
        Assert.Equal("svc-a", ConfigNames.EdsServiceName(EdsCluster("cds-a", "svc-a")));
        Assert.Equal("cds-b", ConfigNames.EdsServiceName(EdsCluster("cds-b")));
    }

    [Fact]
    public void A_Cluster_That_Is_Not_Eds_Gives_No_Name()
    {
        Assert.Null(ConfigNames.EdsServiceName(Any.Pack(new Cluster { Name = "static", Type = Cluster.Types.DiscoveryType.Static })));
    }

    [Fact]
    public void Equal_Bytes_In_Other_Objects_Give_The_Same_Names_And_Other_Bytes_Their_Own()
    {
        var first = ListenerWithRoutes("l-1", "r-1", "r-2");
        var sameBytes = Any.Parser.ParseFrom(first.ToByteArray());
        var other = ListenerWithRoutes("l-1", "r-3");

        Assert.Equal(["r-1", "r-2"], ConfigNames.RouteNames(first));
        Assert.Equal(["r-1", "r-2"], ConfigNames.RouteNames(sameBytes));
        Assert.Equal(["r-3"], ConfigNames.RouteNames(other));
    }

    [Fact]
    public void A_Listener_Without_Rds_Names_No_Route()
    {
        Assert.Empty(ConfigNames.RouteNames(ListenerWithRoutes("tcp-only")));
    }

    [Fact]
    public void A_Resource_Of_Another_Type_Is_An_Error_As_Unpacking_It_Would_Be()
    {
        var listener = ListenerWithRoutes("l-2", "r-9");

        Assert.Throws<InvalidOperationException>(() => ConfigNames.EdsServiceName(listener));
        Assert.Throws<InvalidOperationException>(() => ConfigNames.RouteNames(EdsCluster("c")));
    }
}
