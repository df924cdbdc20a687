using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Translation;
using Hcm = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// Serialises translated resources and checks that they form a whole configuration before anyone can see them
/// (go-control-plane's <c>Consistent()</c>, made stricter): every route configuration a listener names exists
/// and is named by a listener; every cluster a route or TCP proxy names exists; every EDS cluster's assignment
/// exists and belongs to a cluster. All problems are reported together.
/// </summary>
public static class SnapshotBuilder
{
    private static readonly string HcmTypeUrl = "type.googleapis.com/" + Hcm.Descriptor.FullName;
    private static readonly string TcpProxyTypeUrl = "type.googleapis.com/" + TcpProxy.Descriptor.FullName;

    public static Snapshot Build(ProxyResources resources, Func<XdsResource, XdsResource>? intern = null)
    {
        intern ??= r => r;
        var errors = new List<string>();

        var listeners = Pack(TypeUrls.Listener, resources.Listeners.Select(l => (l.Name, (IMessage)l, false))
            .Concat(resources.OnDemandListeners.Select(l => (l.Name, (IMessage)l, true))), errors, intern);
        var routes = Pack(TypeUrls.Route, resources.Routes.Select(r => (r.Name, (IMessage)r, false)), errors, intern);
        var clusters = Pack(TypeUrls.Cluster, resources.Clusters.Select(c => (c.Name, (IMessage)c, false)), errors, intern);
        var endpoints = Pack(TypeUrls.Endpoint, resources.Endpoints.Select(e => (e.ClusterName, (IMessage)e, false)), errors, intern);
        var secrets = Pack(TypeUrls.Secret, resources.Secrets.Select(s => (s.Name, (IMessage)s, false)), errors, intern);

        var clusterNames = resources.Clusters.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var routeNames = resources.Routes.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var endpointNames = resources.Endpoints.Select(e => e.ClusterName).ToHashSet(StringComparer.Ordinal);

        var referencedRoutes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var listener in resources.Listeners.Concat(resources.OnDemandListeners))
        {
            foreach (var (where, any) in NetworkFilters(listener))
            {
                if (any.TypeUrl == HcmTypeUrl)
                {
                    var hcm = any.Unpack<Hcm>();
                    if (hcm.Rds is { } rds)
                    {
                        referencedRoutes.Add(rds.RouteConfigName);
                        if (!routeNames.Contains(rds.RouteConfigName))
                        {
                            errors.Add($"listener {listener.Name}{where}: route configuration {rds.RouteConfigName} is not in RDS");
                        }
                    }
                    else if (hcm.RouteConfig is { } inline)
                    {
                        CheckRouteClusters($"listener {listener.Name}{where} inline routes", inline, clusterNames, errors);
                    }
                }
                else if (any.TypeUrl == TcpProxyTypeUrl)
                {
                    var tcp = any.Unpack<TcpProxy>();
                    var targets = tcp.WeightedClusters?.Clusters.Select(c => c.Name) ?? [tcp.Cluster];
                    foreach (var target in targets.Where(t => !clusterNames.Contains(t)))
                    {
                        errors.Add($"listener {listener.Name}{where}: tcp_proxy cluster {target} is not in CDS");
                    }
                }
            }
        }

        foreach (var route in resources.Routes)
        {
            if (!referencedRoutes.Contains(route.Name))
            {
                errors.Add($"route configuration {route.Name} is named by no listener");
            }

            CheckRouteClusters($"route configuration {route.Name}", route, clusterNames, errors);
        }

        var referencedEndpoints = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cluster in resources.Clusters.Where(c => c.Type == Cluster.Types.DiscoveryType.Eds))
        {
            var serviceName = string.IsNullOrEmpty(cluster.EdsClusterConfig?.ServiceName) ? cluster.Name : cluster.EdsClusterConfig.ServiceName;
            referencedEndpoints.Add(serviceName);
            if (!endpointNames.Contains(serviceName))
            {
                errors.Add($"cluster {cluster.Name}: endpoints {serviceName} are not in EDS");
            }
        }

        foreach (var name in endpointNames.Where(n => !referencedEndpoints.Contains(n)))
        {
            errors.Add($"endpoints {name} belong to no EDS cluster");
        }

        if (errors.Count > 0)
        {
            throw new InconsistentSnapshotException(errors);
        }

        return new Snapshot(new Dictionary<string, ResourceSet>
        {
            [TypeUrls.Listener] = listeners,
            [TypeUrls.Route] = routes,
            [TypeUrls.Cluster] = clusters,
            [TypeUrls.Endpoint] = endpoints,
            [TypeUrls.Secret] = secrets,
        });
    }

    private static ResourceSet Pack(
        string typeUrl,
        IEnumerable<(string Name, IMessage Message, bool OnDemand)> items,
        List<string> errors,
        Func<XdsResource, XdsResource> intern)
    {
        var packed = new List<XdsResource>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, message, onDemand) in items)
        {
            if (string.IsNullOrEmpty(name))
            {
                errors.Add($"{TypeUrls.ShortName(typeUrl)}: a resource has no name");
                continue;
            }

            if (!seen.Add(name))
            {
                errors.Add($"{TypeUrls.ShortName(typeUrl)}: {name} appears more than once");
                continue;
            }

            packed.Add(intern(XdsResource.Create(typeUrl, name, message, onDemand)));
        }

        return new ResourceSet(packed);
    }

    private static IEnumerable<(string Where, Any Config)> NetworkFilters(Listener listener)
    {
        if (listener.ApiListener?.ApiListener_ is { } api)
        {
            yield return (" api_listener", api);
        }

        var chains = listener.FilterChains.AsEnumerable();
        if (listener.DefaultFilterChain is { } fallback)
        {
            chains = chains.Append(fallback);
        }

        foreach (var chain in chains)
        {
            foreach (var filter in chain.Filters.Where(f => f.TypedConfig is not null))
            {
                yield return ($" chain {chain.Name} filter {filter.Name}", filter.TypedConfig);
            }
        }
    }

    private static void CheckRouteClusters(string where, RouteConfiguration config, HashSet<string> clusters, List<string> errors)
    {
        foreach (var host in config.VirtualHosts)
        {
            foreach (var route in host.Routes.Where(r => r.Route_ is not null))
            {
                var targets = route.Route_.WeightedClusters?.Clusters.Select(c => c.Name)
                    ?? (route.Route_.Cluster is { Length: > 0 } c ? [c] : []);
                foreach (var target in targets.Where(t => !clusters.Contains(t)))
                {
                    errors.Add($"{where} virtual host {host.Name}: cluster {target} is not in CDS");
                }
            }
        }
    }
}
