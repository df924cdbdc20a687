using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;

namespace Mesh.Translation;

/// <summary>
/// The snapshot consistency rule (DESIGN.md; go-control-plane's <c>Consistent()</c>): every route config a
/// listener names exists, every cluster a route, TCP proxy or tracer names exists, and every EDS cluster has its
/// ClusterLoadAssignment. Returns every problem, or none.
/// </summary>
public static class ResourceConsistency
{
    public static IReadOnlyList<string> Check(ProxyResources resources)
    {
        var problems = new List<string>();
        var routeNames = resources.RouteConfigurations.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var clusterNames = resources.Clusters.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var assignments = resources.ClusterLoadAssignments.Select(c => c.ClusterName).ToHashSet(StringComparer.Ordinal);

        foreach (var listener in resources.Listeners)
        {
            var filters = listener.FilterChains.Append(listener.DefaultFilterChain).OfType<FilterChain>().SelectMany(c => c.Filters).Select(f => f.TypedConfig);
            if (listener.ApiListener?.ApiListener_ is { } api)
            {
                filters = filters.Append(api);
            }

            foreach (var config in filters)
            {
                if (config.TryUnpack<HttpConnectionManager>(out var hcm))
                {
                    if (hcm.Rds is { } rds && !routeNames.Contains(rds.RouteConfigName))
                    {
                        problems.Add($"listener {listener.Name}: route config {rds.RouteConfigName} is missing");
                    }

                    // Envoy refuses a connection manager whose tracer names a cluster it does not have.
                    if (TracerCluster(hcm) is { } collector && !clusterNames.Contains(collector))
                    {
                        problems.Add($"listener {listener.Name}: tracer cluster {collector} is missing");
                    }
                }
                else if (config.TryUnpack<TcpProxy>(out var tcp))
                {
                    var names = tcp.ClusterSpecifierCase == TcpProxy.ClusterSpecifierOneofCase.Cluster
                        ? [tcp.Cluster]
                        : tcp.WeightedClusters.Clusters.Select(c => c.Name);
                    foreach (var name in names.Where(n => !clusterNames.Contains(n)))
                    {
                        problems.Add($"listener {listener.Name}: cluster {name} is missing");
                    }
                }
            }
        }

        foreach (var config in resources.RouteConfigurations)
        {
            foreach (var route in config.VirtualHosts.SelectMany(h => h.Routes))
            {
                if (route.Route_ is not { } action)
                {
                    continue;
                }

                var names = action.ClusterSpecifierCase == RouteAction.ClusterSpecifierOneofCase.Cluster
                    ? [action.Cluster]
                    : action.WeightedClusters?.Clusters.Select(c => c.Name) ?? [];
                foreach (var name in names.Where(n => !clusterNames.Contains(n)))
                {
                    problems.Add($"route config {config.Name}, route {route.Name}: cluster {name} is missing");
                }
            }
        }

        foreach (var cluster in resources.Clusters.Where(c => c.Type == Cluster.Types.DiscoveryType.Eds))
        {
            var name = string.IsNullOrEmpty(cluster.EdsClusterConfig?.ServiceName) ? cluster.Name : cluster.EdsClusterConfig.ServiceName;
            if (!assignments.Contains(name))
            {
                problems.Add($"cluster {cluster.Name}: EDS assignment {name} is missing");
            }
        }

        return problems;
    }

    private static string? TracerCluster(HttpConnectionManager hcm)
    {
        var config = hcm.Tracing?.Provider?.TypedConfig;
        if (config is null)
        {
            return null;
        }

        if (config.TryUnpack<ZipkinConfig>(out var zipkin))
        {
            return zipkin.CollectorCluster;
        }

        if (config.TryUnpack<DatadogConfig>(out var datadog))
        {
            return datadog.CollectorCluster;
        }

        return config.TryUnpack<OpenTelemetryConfig>(out var otel) ? otel.GrpcService?.EnvoyGrpc?.ClusterName : null;
    }
}
