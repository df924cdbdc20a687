using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.Upstreams.Http.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Specs;
using Duration = Google.Protobuf.WellKnownTypes.Duration;
using EnvoyListener = Envoy.Config.Listener.V3.Listener;
using Filter = Envoy.Config.Listener.V3.Filter;
using Route = Envoy.Config.Route.V3.Route;
using Endpoint = Envoy.Config.Endpoint.V3.Endpoint;
using HttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Mesh.XdsServer.Translation;

/// <summary>Small builders for the Envoy shapes the translator repeats (go-control-plane's MakeCluster and friends).</summary>
internal static class EnvoyBuilders
{
    public static ConfigSource Ads() => new() { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 };

    public static Address SocketAddress(string ip, int port) =>
        new() { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = ip, PortValue = (uint)port, Protocol = Envoy.Config.Core.V3.SocketAddress.Types.Protocol.Tcp } };

    public static bool IsHttpFamily(PortProtocol protocol) => protocol is PortProtocol.Http or PortProtocol.Http2 or PortProtocol.Grpc;

    public static string Wire(PortProtocol protocol) => protocol switch
    {
        PortProtocol.Http => "http",
        PortProtocol.Http2 => "http2",
        PortProtocol.Grpc => "grpc",
        _ => "tcp",
    };

    /// <summary>An HTTP connection manager that takes its routes from RDS over ADS, router filter last.</summary>
    public static HttpConnectionManager Hcm(string statPrefix, string routeConfigName)
    {
        var hcm = new HttpConnectionManager
        {
            StatPrefix = statPrefix,
            CodecType = HttpConnectionManager.Types.CodecType.Auto,
            Rds = new Rds { RouteConfigName = routeConfigName, ConfigSource = Ads() },
        };
        hcm.HttpFilters.Add(new HttpFilter { Name = "envoy.filters.http.router", TypedConfig = Any.Pack(new Router()) });
        return hcm;
    }

    public static Filter HcmFilter(string statPrefix, string routeConfigName) =>
        new() { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(Hcm(statPrefix, routeConfigName)) };

    public static Filter TcpProxyFilter(string statPrefix, string cluster) =>
        new() { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(new TcpProxy { StatPrefix = statPrefix, Cluster = cluster }) };

    /// <summary>A listener that takes redirected traffic and dispatches on the original destination port.</summary>
    public static EnvoyListener InterceptingListener(string name, int port, TrafficDirection direction)
    {
        var listener = new EnvoyListener { Name = name, Address = SocketAddress("0.0.0.0", port), TrafficDirection = direction };
        listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.original_dst", TypedConfig = Any.Pack(new OriginalDst()) });
        return listener;
    }

    public static FilterChain PortChain(string name, int port, Filter filter)
    {
        var chain = new FilterChain { Name = name, FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port } };
        chain.Filters.Add(filter);
        return chain;
    }

    /// <summary>A proxyless gRPC listener: only an api_listener with an HCM (RDS over ADS, router last).</summary>
    public static EnvoyListener ApiListener(string name, string routeConfigName) => new()
    {
        Name = name,
        ApiListener = new ApiListener { ApiListener_ = Any.Pack(Hcm(name, routeConfigName)) },
    };

    public static Cluster StaticCluster(string name, string ip, int port, PortProtocol protocol)
    {
        var cluster = BaseCluster(name, protocol, TimeSpan.FromMilliseconds(250));
        cluster.Type = Cluster.Types.DiscoveryType.Static;
        cluster.LoadAssignment = Assignment(name, [(ip, port)], null);
        return cluster;
    }

    public static Cluster EdsCluster(string name, PortProtocol protocol)
    {
        var cluster = BaseCluster(name, protocol, TimeSpan.FromSeconds(1));
        cluster.Type = Cluster.Types.DiscoveryType.Eds;
        cluster.EdsClusterConfig = new Cluster.Types.EdsClusterConfig { EdsConfig = Ads() };
        return cluster;
    }

    public static Cluster LogicalDnsCluster(string name, string hostname, int port, PortProtocol protocol)
    {
        var cluster = BaseCluster(name, protocol, TimeSpan.FromSeconds(1));
        cluster.Type = Cluster.Types.DiscoveryType.LogicalDns;
        cluster.LoadAssignment = Assignment(name, [(hostname, port)], null);
        return cluster;
    }

    public static Cluster OriginalDstCluster(string name)
    {
        var cluster = BaseCluster(name, PortProtocol.Tcp, TimeSpan.FromSeconds(1));
        cluster.Type = Cluster.Types.DiscoveryType.OriginalDst;
        cluster.LbPolicy = Cluster.Types.LbPolicy.ClusterProvided;
        return cluster;
    }

    /// <summary>Endpoints in one locality with weight 1: gRPC ignores localities that carry no weight.</summary>
    public static ClusterLoadAssignment Assignment(string clusterName, IEnumerable<(string Host, int Port)> endpoints, Locality? locality)
    {
        var group = new LocalityLbEndpoints { Locality = locality, LoadBalancingWeight = 1 };
        foreach (var (host, port) in endpoints)
        {
            group.LbEndpoints.Add(new LbEndpoint { Endpoint = new Endpoint { Address = SocketAddress(host, port) } });
        }

        var assignment = new ClusterLoadAssignment { ClusterName = clusterName };
        assignment.Endpoints.Add(group);
        return assignment;
    }

    public static RouteConfiguration RouteConfig(string name, IEnumerable<VirtualHost> hosts)
    {
        var config = new RouteConfiguration { Name = name };
        config.VirtualHosts.AddRange(hosts);
        return config;
    }

    public static Route PrefixRoute(string name, string prefix, IReadOnlyList<(string Cluster, int Weight)> targets)
    {
        var action = new RouteAction();
        if (targets.Count == 1)
        {
            action.Cluster = targets[0].Cluster;
        }
        else
        {
            var weighted = new WeightedCluster();
            weighted.Clusters.AddRange(targets.Select(t => new WeightedCluster.Types.ClusterWeight { Name = t.Cluster, Weight = (uint)t.Weight }));
            action.WeightedClusters = weighted;
        }

        return new Route { Name = name, Match = new RouteMatch { Prefix = prefix }, Route_ = action };
    }

    private static Cluster BaseCluster(string name, PortProtocol protocol, TimeSpan connectTimeout)
    {
        var cluster = new Cluster { Name = name, ConnectTimeout = Duration.FromTimeSpan(connectTimeout) };
        if (protocol is PortProtocol.Http2 or PortProtocol.Grpc)
        {
            var options = new HttpProtocolOptions
            {
                ExplicitHttpConfig = new HttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = new Http2ProtocolOptions() },
            };
            cluster.TypedExtensionProtocolOptions.Add("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Any.Pack(options));
        }

        return cluster;
    }
}
