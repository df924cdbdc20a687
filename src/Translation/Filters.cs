using Envoy.Config.Accesslog.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;

namespace Mesh.Translation;

/// <summary>Network and listener filters, built the same way for sidecars, gateways and proxyless clients.</summary>
internal static class Filters
{
    public const string HttpConnectionManagerName = "envoy.filters.network.http_connection_manager";
    public const string TcpProxyName = "envoy.filters.network.tcp_proxy";

    /// <summary>The router filter, which must be the last HTTP filter (Envoy; gRPC rejects anything else).</summary>
    public static HttpFilter RouterFilter() => new() { Name = "envoy.filters.http.router", TypedConfig = Protos.Pack(new Router()) };

    public static HttpConnectionManager Hcm(string statPrefix, string routeConfig, AccessLog? accessLog)
    {
        var hcm = new HttpConnectionManager
        {
            StatPrefix = statPrefix,
            CodecType = HttpConnectionManager.Types.CodecType.Auto,
            Rds = new Rds { ConfigSource = Protos.Ads(), RouteConfigName = routeConfig },
            HttpFilters = { RouterFilter() },
        };
        if (accessLog is not null)
        {
            hcm.AccessLog.Add(accessLog);
        }

        return hcm;
    }

    /// <summary>
    /// The Envoy-side HCM: App Mesh's newer builds normalise paths and merge slashes so that path and prefix
    /// matches see one spelling of a path ([UG] routes), HTTP/1.1 listeners pass WebSocket upgrades, and every
    /// one traces (<see cref="Tracers"/>). Proxyless clients get none of this: gRPC reads none of it.
    /// </summary>
    public static Filter EnvoyHcm(string statPrefix, string routeConfig, AccessLog? accessLog, HttpConnectionManager.Types.Tracing tracing, TimeSpan streamIdle, bool websocket, bool stripPort = false)
    {
        var hcm = Hcm(statPrefix, routeConfig, accessLog);
        hcm.Tracing = tracing;
        hcm.StreamIdleTimeout = Protos.Duration(streamIdle);
        hcm.NormalizePath = true;
        hcm.MergeSlashes = true;
        hcm.PathWithEscapedSlashesAction = HttpConnectionManager.Types.PathWithEscapedSlashesAction.KeepUnchanged;
        if (stripPort)
        {
            hcm.StripAnyHostPort = true;
        }

        if (websocket)
        {
            hcm.UpgradeConfigs.Add(new HttpConnectionManager.Types.UpgradeConfig { UpgradeType = "websocket" });
        }

        return new Filter { Name = HttpConnectionManagerName, TypedConfig = Protos.Pack(hcm) };
    }

    public static Filter TcpProxy(string statPrefix, IReadOnlyList<(string Cluster, uint Weight)> clusters, AccessLog? accessLog, TimeSpan idle)
    {
        var proxy = new TcpProxy { StatPrefix = statPrefix, IdleTimeout = Protos.Duration(idle) };
        if (clusters.Count == 1)
        {
            proxy.Cluster = clusters[0].Cluster;
        }
        else
        {
            var weighted = new TcpProxy.Types.WeightedCluster();
            foreach (var (cluster, weight) in clusters)
            {
                weighted.Clusters.Add(new TcpProxy.Types.WeightedCluster.Types.ClusterWeight { Name = cluster, Weight = weight });
            }

            proxy.WeightedClusters = weighted;
        }

        if (accessLog is not null)
        {
            proxy.AccessLog.Add(accessLog);
        }

        return new Filter { Name = TcpProxyName, TypedConfig = Protos.Pack(proxy) };
    }

    /// <summary>Restores the address the application connected to before iptables redirected it, so chains can match its port.</summary>
    public static ListenerFilter OriginalDst() =>
        new() { Name = "envoy.filters.listener.original_dst", TypedConfig = Protos.Pack(new OriginalDst()) };

    /// <summary>
    /// Reads SNI and tells TLS from plaintext. When <paramref name="onlyPorts"/> are given it runs only for those
    /// destination ports, so protocols where the server speaks first (MySQL, SMTP) are not held waiting (RM#62).
    /// </summary>
    public static ListenerFilter TlsInspector(params uint[] onlyPorts)
    {
        var filter = new ListenerFilter { Name = "envoy.filters.listener.tls_inspector", TypedConfig = Protos.Pack(new TlsInspector()) };
        var ports = onlyPorts.Distinct().Order().Select(port => new ListenerFilterChainMatchPredicate
        {
            DestinationPortRange = new Envoy.Type.V3.Int32Range { Start = (int)port, End = (int)port + 1 },
        }).ToList();
        if (ports.Count > 0)
        {
            // An or_match takes two rules at least.
            var only = ports.Count == 1 ? ports[0] : new ListenerFilterChainMatchPredicate { OrMatch = new ListenerFilterChainMatchPredicate.Types.MatchSet { Rules = { ports } } };
            filter.FilterDisabled = new ListenerFilterChainMatchPredicate { NotMatch = only };
        }

        return filter;
    }
}
