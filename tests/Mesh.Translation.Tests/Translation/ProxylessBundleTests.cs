using Mesh.Translation.Tests.Support;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// <see cref="MeshTranslator.TranslateProxy"/> merges a node's proxyless names onto its shared egress routing once
/// per graph (<see cref="ProxylessOnDemand.BundleFor"/>) and joins each node's own resources to that
/// (<see cref="ProxylessOnDemand.TryJoin"/>) instead of merging every name for every node. Whichever way it goes,
/// every node must get exactly what merging name by name onto its sidecar gives (<see cref="ProxylessOnDemand.AddTo"/>).
/// </summary>
public sealed class ProxylessBundleTests
{
    [Fact]
    public void Over_Random_Meshes_And_Changes_Every_Node_Gets_What_Merging_Name_By_Name_Gives()
    {
        var bundled = 0;
        var withProxyless = 0;
        for (var seed = 0; seed < 480; seed++)
        {
            var meshes = new RandomMeshes(seed);
            for (var step = 0; step < 4; step++)
            {
                var graph = meshes.Graph();
                var translator = new MeshTranslator();
                var reference = new MeshTranslator();
                foreach (var name in RandomMeshes.NodeNames.Where(n => graph.FindVirtualNode(n) is not null))
                {
                    var target = ProxyTarget.VirtualNode(name);
                    var expected = ProxylessOnDemand.AddTo(
                        reference.Translate(graph, target), graph, name, n => reference.TranslateProxyless(graph, n.Name, n.Backend.Policy));
                    var actual = translator.TranslateProxy(graph, target);
                    ProxyResourcesAssert.Equal(expected, actual, $"seed {seed}, step {step}: node {name}");

                    // Joined from the bundle, a node's on-demand listeners are the bundle's list itself.
                    if (ReferenceEquals(actual.OnDemandListeners, translator.TranslateProxy(graph, target).OnDemandListeners))
                    {
                        bundled++;
                    }

                    withProxyless += actual.OnDemandListeners.Count > 0 ? 1 : 0;
                }

                meshes.Mutate();
            }
        }

        // The shortcut must be taken often, and with proxyless names to merge, or the property says little.
        Assert.True(bundled > 1000, $"only {bundled} nodes joined from a bundle");
        Assert.True(withProxyless > 1000, $"only {withProxyless} nodes with proxyless names ({bundled} joined from a bundle)");
    }

    [Fact]
    public void Nodes_With_The_Same_Backends_Share_One_Merge_But_Keep_Their_Own_Listeners()
    {
        var graph = TwoClients("""[{"portMapping":{"port":9090,"protocol":"http"}}]""");
        var translator = new MeshTranslator();

        var a = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("a"));
        var b = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("b"));

        Assert.Equal(["svc.local", "svc.local:80"], a.OnDemandListeners.Select(l => l.Name));
        Assert.Same(a.OnDemandListeners, b.OnDemandListeners);
        Assert.NotEqual(a.Listeners, b.Listeners);
        // Each keeps its own ingress route and local cluster next to the shared ones.
        Assert.Contains(a.RouteConfigurations, r => r.Name.Contains("8080", StringComparison.Ordinal));
        Assert.DoesNotContain(b.RouteConfigurations, r => r.Name.Contains("8080", StringComparison.Ordinal));
        Assert.Empty(ResourceConsistency.Check(a));
        Assert.Empty(ResourceConsistency.Check(b));
    }

    [Fact]
    public void A_Nodes_Grpc_Servers_Are_Offered_Their_Listeners_On_Demand_With_Strict_Ones_Tls_From_Certificate_Providers()
    {
        var graph = TwoClients(
            """[{"portMapping":{"port":9090,"protocol":"grpc"}},{"portMapping":{"port":9091,"protocol":"http2"}},"""
            + """{"portMapping":{"port":9092,"protocol":"grpc"},"tls":{"mode":"STRICT","certificate":{"file":{"certificateChain":"/c.pem","privateKey":"/k.pem"}},"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}},"""
            + """{"portMapping":{"port":9093,"protocol":"grpc"},"tls":{"mode":"PERMISSIVE","certificate":{"file":{"certificateChain":"/c.pem","privateKey":"/k.pem"}}}},"""
            + """{"portMapping":{"port":9094,"protocol":"grpc"},"tls":{"mode":"STRICT","certificate":{"sds":{"secretName":"spiffe://x/y"}}}},"""
            + """{"portMapping":{"port":9095,"protocol":"grpc"},"tls":{"mode":"STRICT","certificate":{"file":{"certificateChain":"/c.pem","privateKey":"/k.pem"}},"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}},"subjectAlternativeNames":{"match":{"exact":["a.local"]}}}}},"""
            + """{"portMapping":{"port":9096,"protocol":"grpc"},"tls":{"mode":"STRICT","certificate":{"file":{"certificateChain":"/c.pem","privateKey":"/k.pem"}}}}]""");
        var translator = new MeshTranslator();

        var a = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("a"));
        var b = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("b"));

        // The http node's servers get none. STRICT ports get TLS from the bootstrap's certificate providers, but not one
        // with an SDS certificate or client SANs, which gRPC servers cannot serve as App Mesh defines them.
        Assert.Equal(["svc.local", "svc.local:80"], a.OnDemandListeners.Select(l => l.Name));
        string[] servers = [.. new[] { 9090, 9091, 9092, 9093, 9096 }.SelectMany(p => new[] { $"0.0.0.0:{p}", $"[::]:{p}" }).Select(x => "grpc/server?xds.resource.listening_address=" + x)];
        Assert.Equal([.. servers.Append("svc.local").Append("svc.local:80").Order(StringComparer.Ordinal)], b.OnDemandListeners.Select(l => l.Name));
        var mutual = Assert.Single(b.OnDemandListeners.Single(l => l.Name.EndsWith("0.0.0.0:9092", StringComparison.Ordinal)).FilterChains).TransportSocket.TypedConfig
            .Unpack<Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext>();
        Assert.Equal(Mesh.Model.Identity.GrpcCertificateProviders.IdentityName("/c.pem", "/k.pem"), mutual.CommonTlsContext.TlsCertificateProviderInstance.InstanceName);
        Assert.Equal(Mesh.Model.Identity.GrpcCertificateProviders.RootsName("/ca.pem"), mutual.CommonTlsContext.ValidationContext.CaCertificateProviderInstance.InstanceName);
        Assert.True(mutual.RequireClientCertificate);
        var serverOnly = Assert.Single(b.OnDemandListeners.Single(l => l.Name.EndsWith("[::]:9096", StringComparison.Ordinal)).FilterChains).TransportSocket.TypedConfig
            .Unpack<Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext>();
        Assert.Equal(mutual.CommonTlsContext.TlsCertificateProviderInstance, serverOnly.CommonTlsContext.TlsCertificateProviderInstance);
        Assert.Null(serverOnly.CommonTlsContext.ValidationContext);
        Assert.Null(serverOnly.RequireClientCertificate);
        Assert.Null(Assert.Single(b.OnDemandListeners.Single(l => l.Name.EndsWith("0.0.0.0:9093", StringComparison.Ordinal)).FilterChains).TransportSocket);
        var v6 = b.OnDemandListeners.Single(l => l.Name == "grpc/server?xds.resource.listening_address=[::]:9090");
        Assert.Equal("::", v6.Address.SocketAddress.Address);
        Assert.Equal(9090u, v6.Address.SocketAddress.PortValue);
        Assert.Equal(Envoy.Config.Core.V3.TrafficDirection.Inbound, v6.TrafficDirection);
        var hcm = Assert.Single(Assert.Single(v6.FilterChains).Filters).TypedConfig.Unpack<Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager>();
        var route = Assert.Single(Assert.Single(hcm.RouteConfig.VirtualHosts).Routes);
        Assert.NotNull(route.NonForwardingAction);
        Assert.Equal("envoy.filters.http.router", Assert.Single(hcm.HttpFilters).Name);
        Assert.Null(Assert.Single(v6.FilterChains).TransportSocket);
        // The two STRICT ports not offered are warned about, each with why; the others are not.
        Assert.Equal(
            [
                "virtualNode/b listener 9094: proxyless gRPC servers are not offered its listener, so they do not serve on it: it is STRICT, and its certificate is SDS, and gRPC servers take file certificates only",
                "virtualNode/b listener 9095: proxyless gRPC servers are not offered its listener, so they do not serve on it: it is STRICT, and it checks its clients' subject alternative names, which gRPC servers do not match",
            ],
            b.ProxylessWarnings.Messages().Where(w => w.Contains("proxyless gRPC servers", StringComparison.Ordinal)));
        Assert.DoesNotContain(a.ProxylessWarnings.Messages(), w => w.Contains("proxyless gRPC servers", StringComparison.Ordinal));
        // They are gRPC's: the node's Envoy serves those listeners as App Mesh defines them.
        Assert.DoesNotContain(b.Warnings.Messages(), w => w.Contains("proxyless", StringComparison.Ordinal));
        // Not sent to the node's Envoy, which subscribes to every listener and would bind the application's port.
        Assert.DoesNotContain(b.Listeners, l => l.Name.StartsWith("grpc/server", StringComparison.Ordinal));
        Assert.NotNull(ProxyResourceParts.Of(b));
        Assert.Empty(ResourceConsistency.Check(b));

        // Joined from the bundle, it is what merging name by name gives.
        var reference = new MeshTranslator();
        var expected = ProxylessOnDemand.AddTo(reference.Translate(graph, ProxyTarget.VirtualNode("b")), graph, "b", n => reference.TranslateProxyless(graph, n.Name, n.Backend.Policy));
        ProxyResourcesAssert.Equal(expected, b, "node b");
    }

    [Fact]
    public void A_Proxyless_Name_Whose_Cluster_Differs_From_The_Sidecars_Same_Named_One_Is_Left_Out_With_A_Warning()
    {
        // The translator never names two different clusters alike; the merge must still not send either silently.
        var graph = TwoClients("""[{"portMapping":{"port":9090,"protocol":"grpc"}}]""");
        var translator = new MeshTranslator();
        var sidecar = translator.Translate(graph, ProxyTarget.VirtualNode("b"));
        var taken = sidecar.Clusters[0];

        var merged = ProxylessOnDemand.AddTo(sidecar, graph, "b", name =>
        {
            var proxyless = translator.TranslateProxyless(graph, name.Name, name.Backend.Policy);
            return name.Name != "svc.local" ? proxyless
                : proxyless with { Clusters = [.. proxyless.Clusters, new Envoy.Config.Cluster.V3.Cluster(taken) { ConnectTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(42)) }] };
        });

        Assert.DoesNotContain(merged.OnDemandListeners, l => l.Name == "svc.local");
        Assert.Contains(merged.OnDemandListeners, l => l.Name == "svc.local:80");
        Assert.Same(taken, Assert.Single(merged.Clusters, c => c.Name == taken.Name));
        Assert.Contains($"proxyless listener 'svc.local': left out for proxyless gRPC clients: its Cluster '{taken.Name}' differs from the one of the same name already in the configuration", merged.ProxylessWarnings.Messages());
    }

    [Fact]
    public void Nodes_Sharing_A_Bundle_Keep_Their_Own_Warnings_About_Server_Listeners_Not_Offered()
    {
        // c's STRICT SDS port is not offered, so c's servers' listeners (and bundle key) are b's: the bundle is shared,
        // but only c is told about its port, and with its own name.
        var graph = Mesh.Model.Graph.MeshGraph.Build(
        [
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "b", 1, """{"listeners":[{"portMapping":{"port":9090,"protocol":"grpc"}}],"backends":[{"virtualService":{"virtualServiceName":"svc.local"}}]}"""),
            new("virtualNode", null, "c", 1, """{"listeners":[{"portMapping":{"port":9090,"protocol":"grpc"}},{"portMapping":{"port":9091,"protocol":"http2"},"tls":{"mode":"STRICT","certificate":{"file":{"certificateChain":"/c.pem","privateKey":"/k.pem"}},"validation":{"trust":{"sds":{"secretName":"roots"}}}}}],"backends":[{"virtualService":{"virtualServiceName":"svc.local"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "svc.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        ]);
        var translator = new MeshTranslator();

        var b = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("b"));
        var c = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("c"));

        Assert.Same(b.OnDemandListeners, c.OnDemandListeners);
        Assert.DoesNotContain(b.ProxylessWarnings.Messages(), w => w.Contains("proxyless gRPC servers", StringComparison.Ordinal));
        Assert.Equal(
            "virtualNode/c listener 9091: proxyless gRPC servers are not offered its listener, so they do not serve on it: it is STRICT, and its validation trust is SDS, and gRPC servers take file trusts only",
            Assert.Single(c.ProxylessWarnings.Messages(), w => w.Contains("proxyless gRPC servers", StringComparison.Ordinal)));
        foreach (var name in new[] { "b", "c" })
        {
            var reference = new MeshTranslator();
            var expected = ProxylessOnDemand.AddTo(reference.Translate(graph, ProxyTarget.VirtualNode(name)), graph, name, n => reference.TranslateProxyless(graph, n.Name, n.Backend.Policy));
            ProxyResourcesAssert.Equal(expected, name == "b" ? b : c, $"node {name}");
        }
    }

    [Theory]
    [InlineData("10.1.2.3", "10.1.2.3", "10.1.2.3")]
    [InlineData("fd00::7", "[fd00::7]", "fd00::7")]
    [InlineData("fd00:0::7", null, null)]
    [InlineData("b.local", null, null)]
    [InlineData("0.0.0.0", null, null)]
    public void A_Nodes_Grpc_Servers_Are_Offered_Its_Own_Address_When_Its_Hostname_Is_One(string hostname, string? inName, string? address)
    {
        // A server bound to the VM's own address asks for that address: offered when the node's DNS hostname is that IP
        // written as gRPC writes it (not another spelling, which no server's name would match).
        var graph = Mesh.Model.Graph.MeshGraph.Build(
        [
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "b", 1, "{\"listeners\":[{\"portMapping\":{\"port\":9090,\"protocol\":\"grpc\"}}],\"serviceDiscovery\":{\"dns\":{\"hostname\":\"" + hostname + "\"}}}"),
            new("virtualNode", null, "c", 1, "{\"listeners\":[{\"portMapping\":{\"port\":9090,\"protocol\":\"grpc\"}}],\"serviceDiscovery\":{\"dns\":{\"hostname\":\"c.local\"}}}"),
        ]);
        var translator = new MeshTranslator();

        var b = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("b"));
        var c = translator.TranslateProxy(graph, ProxyTarget.VirtualNode("c"));

        string[] any = ["grpc/server?xds.resource.listening_address=0.0.0.0:9090", "grpc/server?xds.resource.listening_address=[::]:9090"];
        Assert.Equal(any, c.OnDemandListeners.Select(l => l.Name));
        if (inName is null)
        {
            Assert.Equal(any, b.OnDemandListeners.Select(l => l.Name));
            return;
        }

        var own = $"grpc/server?xds.resource.listening_address={inName}:9090";
        Assert.Equal([.. any.Append(own).Order(StringComparer.Ordinal)], b.OnDemandListeners.Select(l => l.Name));
        Assert.Equal(address, b.OnDemandListeners.Single(l => l.Name == own).Address.SocketAddress.Address);
    }

    /// <summary>Nodes <c>a</c> (http on 8080) and <c>b</c> (the given listeners), both with backend <c>svc.local</c>, provided by node <c>server</c>.</summary>
    private static Mesh.Model.Graph.MeshGraph TwoClients(string bListeners) => Mesh.Model.Graph.MeshGraph.Build(
    [
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "a", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"backends":[{"virtualService":{"virtualServiceName":"svc.local"}}]}"""),
        new("virtualNode", null, "b", 1, "{\"listeners\":" + bListeners + ",\"backends\":[{\"virtualService\":{\"virtualServiceName\":\"svc.local\"}}]}"),
        new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
        new("virtualService", null, "svc.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
    ]);
}
