using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Mesh.EnvoyTesting;
using Mesh.Model.Graph;
using Mesh.Model.Resources;
using Mesh.Translation.Tests.Support;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// Whatever a mesh holds, what a proxy is sent must be config Envoy accepts: Envoy rejects a whole xDS response when
/// one resource in it breaks a rule, so one bad resource would leave the proxy on its old config (a NACK) while the API
/// said everything was fine. Over random meshes and random changes, every sidecar's and gateway's translation must
/// pass the protos' own validation rules (PGV, which Envoy checks first) and the rules Envoy checks itself when it
/// builds a listener or a route table: unique listener addresses, filter chains that differ in what they match, virtual
/// hosts whose names and domains do not repeat, and weighted clusters whose weights add up to more than zero.
/// </summary>
public sealed class EnvoyAcceptanceTests
{
    [Fact]
    public void Over_Random_Meshes_And_Changes_Every_Proxy_Gets_Config_Envoy_Accepts()
    {
        var translations = 0;
        var routeTables = 0;
        var weighted = 0;
        var endpoints = 0;
        for (var seed = 0; seed < 200; seed++)
        {
            var meshes = new RandomMeshes(seed);
            var change = "the first graph";
            for (var step = 0; step < 4; step++)
            {
                var graph = meshes.Graph();
                var translator = new MeshTranslator();
                var targets = RandomMeshes.NodeNames.Where(n => graph.FindVirtualNode(n) is not null).Select(ProxyTarget.VirtualNode)
                    .Concat(RandomMeshes.GatewayNames.Where(g => graph.FindVirtualGateway(g) is not null).Select(ProxyTarget.VirtualGateway));
                foreach (var target in targets)
                {
                    var resources = translator.TranslateProxy(graph, target);
                    var problems = Problems(resources).ToList();
                    Assert.True(problems.Count == 0, $"seed {seed}, step {step} after {change}: {target.Kind} {target.Name}:\n" + string.Join("\n", problems));
                    translations++;
                    routeTables += resources.RouteConfigurations.Count;
                    weighted += resources.RouteConfigurations
                        .SelectMany(r => r.VirtualHosts).SelectMany(v => v.Routes)
                        .Count(r => r.Route_?.WeightedClusters is not null);
                    endpoints += resources.ClusterLoadAssignments.Sum(a => a.Endpoints.Sum(e => e.LbEndpoints.Count));
                }

                change = meshes.Mutate();
            }
        }

        // Each must be common, or the property says little.
        Assert.True(translations > 2000, $"only {translations} translations");
        Assert.True(routeTables > 2000, $"only {routeTables} route configurations");
        Assert.True(weighted > 500, $"only {weighted} weighted routes");
        Assert.True(endpoints > 500, $"only {endpoints} Cloud Map endpoints sent");
    }

    [Fact]
    public void Over_Meshes_Of_Any_Spec_The_Api_Accepts_Every_Proxy_Gets_Config_Envoy_Accepts()
    {
        var translations = 0;
        var kept = 0;
        var refused = 0;
        for (var seed = 0; seed < 400; seed++)
        {
            var specs = new ModelSpecs(seed);
            var rows = new List<MeshResourceRow>();
            bool Add(ResourceKind kind, string parent, string name)
            {
                if (specs.Accepted(kind) is not { } spec)
                {
                    refused++;
                    return false;
                }

                rows.Add(new MeshResourceRow(kind.WireName, parent, name, 1, spec.ToJsonString()));
                kept++;
                return true;
            }

            if (!Add(ResourceKind.Mesh, "", "m"))
            {
                continue;
            }

            foreach (var name in ModelSpecs.NodeNames)
            {
                _ = Add(ResourceKind.VirtualNode, "", name);
            }

            foreach (var name in ModelSpecs.ServiceNames)
            {
                _ = Add(ResourceKind.VirtualService, "", name);
            }

            foreach (var name in ModelSpecs.RouterNames)
            {
                if (!Add(ResourceKind.VirtualRouter, "", name))
                {
                    continue;
                }

                foreach (var child in ModelSpecs.ChildNames)
                {
                    _ = Add(ResourceKind.Route, name, child);
                }
            }

            foreach (var name in ModelSpecs.GatewayNames)
            {
                if (!Add(ResourceKind.VirtualGateway, "", name))
                {
                    continue;
                }

                foreach (var child in ModelSpecs.ChildNames)
                {
                    _ = Add(ResourceKind.GatewayRoute, name, child);
                }
            }

            var graph = MeshGraph.Build(rows);
            var translator = new MeshTranslator();
            var targets = ModelSpecs.NodeNames.Where(n => graph.FindVirtualNode(n) is not null).Select(ProxyTarget.VirtualNode)
                .Concat(ModelSpecs.GatewayNames.Where(g => graph.FindVirtualGateway(g) is not null).Select(ProxyTarget.VirtualGateway));
            foreach (var target in targets)
            {
                var resources = translator.TranslateProxy(graph, target);
                var problems = Problems(resources).Concat(ResourceConsistency.Check(resources).Select(p => "consistency: " + p)).ToList();
                Assert.True(problems.Count == 0, $"seed {seed}: {target.Kind} {target.Name}:\n" + string.Join("\n", problems)
                    + "\n\n" + string.Join("\n", rows.Select(r => $"{r.Kind} {r.ParentName}/{r.Name}: {r.SpecJson}")));
                translations++;
            }
        }

        Assert.True(kept > 4000, $"only {kept} specs accepted ({refused} kinds with none accepted)");
        Assert.True(translations > 1500, $"only {translations} translations");
    }

    private static IEnumerable<string> Problems(ProxyResources resources)
    {
        IEnumerable<IMessage> all = [
            .. resources.Listeners, .. resources.OnDemandListeners, .. resources.RouteConfigurations, .. resources.Clusters,
            .. resources.ClusterLoadAssignments, .. resources.Secrets];
        foreach (var problem in all.SelectMany(m => PgvValidator.Validate(m, EnvoyTypes.Registry)))
        {
            yield return "PGV: " + problem;
        }

        // On-demand clusters go to proxyless gRPC clients only, whose TLS clusters must name SANs in the one field gRPC
        // reads, which Envoy has deprecated (and would still take); anything else wrong with them is a problem.
        foreach (var problem in resources.OnDemandClusters.SelectMany(m => PgvValidator.Validate(m, EnvoyTypes.Registry))
            .Where(p => !p.EndsWith(".common_tls_context.validation_context.match_subject_alt_names: deprecated field is set", StringComparison.Ordinal)))
        {
            yield return "PGV: " + problem;
        }

        foreach (var problem in ListenerAddresses(resources.Listeners).Concat(resources.Clusters.Concat(resources.OnDemandClusters).SelectMany(ClusterHosts)))
        {
            yield return problem;
        }

        foreach (var assignment in resources.ClusterLoadAssignments)
        {
            foreach (var address in Addresses(assignment).Where(a => !IPAddress.TryParse(a, out _)))
            {
                yield return $"endpoints of {assignment.ClusterName}: {address} is not an IP address";
            }
        }

        var inlineRoutes = resources.Listeners.Concat(resources.OnDemandListeners)
            .SelectMany(l => l.FilterChains.Select(c => c.Filters).Append(l.DefaultFilterChain?.Filters ?? []))
            .SelectMany(filters => filters)
            .Where(f => f.TypedConfig?.Is(HttpConnectionManager.Descriptor) == true)
            .Select(f => f.TypedConfig.Unpack<HttpConnectionManager>().RouteConfig)
            .OfType<RouteConfiguration>();
        foreach (var routes in resources.RouteConfigurations.Concat(inlineRoutes))
        {
            foreach (var problem in RouteTable(routes))
            {
                yield return problem;
            }
        }

        foreach (var listener in resources.Listeners.Concat(resources.OnDemandListeners))
        {
            foreach (var problem in FilterChains(listener))
            {
                yield return problem;
            }
        }
    }

    /// <summary>Envoy refuses a second listener bound to an address and port another listener already has.</summary>
    private static IEnumerable<string> ListenerAddresses(IEnumerable<Listener> listeners) =>
        listeners
            .Where(l => l.Address?.SocketAddress is not null)
            .GroupBy(l => (l.Address.SocketAddress.Address, l.Address.SocketAddress.PortValue))
            .Where(g => g.Count() > 1)
            .Select(g => $"listeners {string.Join(", ", g.Select(l => l.Name))} all bind {g.Key.Address}:{g.Key.PortValue}");

    /// <summary>
    /// What Envoy refuses of a cluster itself: a STATIC one's hosts that are not IP addresses, a LOGICAL_DNS one's other
    /// than one, and a gRPC health check where the cluster does not speak HTTP/2.
    /// </summary>
    private static IEnumerable<string> ClusterHosts(Cluster cluster)
    {
        var addresses = cluster.LoadAssignment is { } assignment ? Addresses(assignment).ToList() : [];
        if (cluster.Type == Cluster.Types.DiscoveryType.Static)
        {
            foreach (var address in addresses.Where(a => !IPAddress.TryParse(a, out _)))
            {
                yield return $"STATIC cluster {cluster.Name}: {address} is not an IP address";
            }
        }

        if (cluster.Type == Cluster.Types.DiscoveryType.LogicalDns && addresses.Count != 1)
        {
            yield return $"LOGICAL_DNS cluster {cluster.Name} has {addresses.Count} hosts; Envoy takes exactly one";
        }

        if (cluster.HealthChecks.Any(h => h.GrpcHealthCheck is not null) && !SpeaksHttp2(cluster))
        {
            yield return $"cluster {cluster.Name} has a gRPC health check but does not speak HTTP/2 (Envoy: \"cluster must support HTTP/2 for gRPC healthchecking\")";
        }
    }

    /// <summary>Whether Envoy gives the cluster its HTTP/2 feature: its HTTP protocol options say HTTP/2, explicitly, by ALPN or from downstream.</summary>
    private static bool SpeaksHttp2(Cluster cluster)
    {
        if (!cluster.TypedExtensionProtocolOptions.TryGetValue("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", out var packed))
        {
            return false;
        }

        var options = packed.Unpack<Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions>();
        return options.ExplicitHttpConfig?.Http2ProtocolOptions is not null
            || options.AutoConfig is not null
            || options.UseDownstreamProtocolConfig?.Http2ProtocolOptions is not null;
    }

    private static IEnumerable<string> Addresses(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.SelectMany(e => e.LbEndpoints).Select(e => e.Endpoint?.Address?.SocketAddress?.Address ?? "(no socket address)");

    /// <summary>Envoy refuses a listener two of whose filter chains match exactly the same connections.</summary>
    private static IEnumerable<string> FilterChains(Listener listener) =>
        listener.FilterChains
            .GroupBy(c => (c.FilterChainMatch ?? new FilterChainMatch()).ToByteString())
            .Where(g => g.Count() > 1)
            .Select(g => $"listener {listener.Name}: filter chains {string.Join(", ", g.Select(c => c.Name))} match the same connections");

    /// <summary>
    /// What Envoy's route table refuses: a virtual host name used twice, a domain (compared in lower case) in two
    /// virtual hosts, and weighted clusters whose weights add up to zero.
    /// </summary>
    private static IEnumerable<string> RouteTable(RouteConfiguration routes)
    {
        foreach (var name in routes.VirtualHosts.GroupBy(v => v.Name).Where(g => g.Count() > 1))
        {
            yield return $"route configuration {routes.Name}: virtual host {name.Key} twice";
        }

        foreach (var domain in routes.VirtualHosts.SelectMany(v => v.Domains).GroupBy(d => d.ToLowerInvariant()).Where(g => g.Count() > 1))
        {
            yield return $"route configuration {routes.Name}: domain {domain.Key} in more than one virtual host";
        }

        foreach (var host in routes.VirtualHosts)
        {
            foreach (var route in host.Routes.Where(r => r.Route_?.WeightedClusters is not null))
            {
                var total = route.Route_.WeightedClusters.Clusters.Sum(c => (long)(c.Weight ?? 0));
                if (total == 0)
                {
                    yield return $"route configuration {routes.Name}, virtual host {host.Name}, route {route.Name}: weights add up to 0";
                }
            }
        }
    }
}
