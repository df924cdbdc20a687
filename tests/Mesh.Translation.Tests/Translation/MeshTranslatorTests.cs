using Google.Protobuf;
using Mesh.EnvoyTesting;
using Mesh.Model.Graph;

namespace Mesh.Translation.Tests.Translation;

public sealed class MeshTranslatorTests
{
    private static readonly MeshGraph Graph = MeshGraph.Build(new MeshResourceRow[]
    {
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"greeter"}}]}"""),
        new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"},"tls":{"mode":"STRICT","certificate":{"file":{"certificateChain":"/c","privateKey":"/k"}}}}],"serviceDiscovery":{"dns":{"hostname":"127.0.0.1","responseType":"ENDPOINTS"}}}"""),
        new("virtualService", null, "greeter", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
    });

    [Fact]
    public void SidecarAndProxyless_ShareNoNameWithDifferentContent()
    {
        // The xDS server serves a node's proxyless listeners from the node's own snapshot, so names must not clash.
        var translator = new MeshTranslator();
        var sidecar = translator.Translate(Graph, ProxyTarget.VirtualNode("client"));
        var proxyless = translator.Translate(Graph, ProxyTarget.Proxyless("greeter", "greeter:50051"));

        Assert.NotEmpty(proxyless.Listeners);
        AssertNoClash(sidecar.Clusters.Select(c => (c.Name, (IMessage)c)), proxyless.Clusters.Select(c => (c.Name, (IMessage)c)));
        AssertNoClash(sidecar.RouteConfigurations.Select(c => (c.Name, (IMessage)c)), proxyless.RouteConfigurations.Select(c => (c.Name, (IMessage)c)));
        AssertNoClash(sidecar.ClusterLoadAssignments.Select(c => (c.ClusterName, (IMessage)c)), proxyless.ClusterLoadAssignments.Select(c => (c.ClusterName, (IMessage)c)));
        Assert.Empty(sidecar.Warnings.Messages());

        // The server's listener is STRICT: the sidecar reaches it by TLS, a proxyless client cannot, and is told so.
        Assert.NotEmpty(proxyless.Warnings.Messages());
        Assert.All(proxyless.Warnings.Messages(), w => Assert.Contains("virtualNode/server listener 50051 takes TLS only (STRICT), and proxyless gRPC clients without a client policy with a file trust reach it in plaintext", w, StringComparison.Ordinal));
    }

    [Fact]
    public void Translation_IsDeterministic()
    {
        var a = new MeshTranslator().Translate(Graph, ProxyTarget.VirtualNode("client"));
        var b = new MeshTranslator().Translate(Graph, ProxyTarget.VirtualNode("client"));

        Assert.Equal(a.Listeners, b.Listeners);
        Assert.Equal(a.Clusters, b.Clusters);
        Assert.Equal(a.RouteConfigurations, b.RouteConfigurations);
    }

    [Theory]
    [InlineData("virtualNode/ghost")]
    [InlineData("virtualGateway/ghost")]
    public void MissingProxy_GivesNothing_AndSaysWhy(string target)
    {
        var resources = new MeshTranslator().Translate(Graph, GoldenCase.ParseTarget(target));

        Assert.Empty(resources.Listeners);
        Assert.Empty(resources.Clusters);
        Assert.Equal([$"{target} does not exist in mesh m"], resources.Warnings.Messages());
    }

    [Fact]
    public void BackendsWhoseNamesDifferOnlyInCase_KeepOneVirtualHost_AndSayWhy()
    {
        // Envoy compares domains in lower case and refuses a route configuration that repeats one: sent, the client
        // would reject its whole route update. The first by name keeps the domain; the other is left out, warned of.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, """{"egressFilter":{"type":"ALLOW_ALL"}}"""),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc.local"}},{"virtualService":{"virtualServiceName":"Svc.local"}},{"virtualService":{"virtualServiceName":"*"}},{"virtualService":{"virtualServiceName":"other.local"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "svc.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
            new("virtualService", null, "Svc.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
            new("virtualService", null, "*", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
            new("virtualService", null, "other.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var config = Assert.Single(resources.RouteConfigurations);
        Assert.Equal(["*", "Svc.local", "other.local"], config.VirtualHosts.Select(h => h.Name));
        var domains = config.VirtualHosts.SelectMany(h => h.Domains).Select(d => d.ToLowerInvariant()).ToList();
        Assert.Equal(domains.Count, domains.Distinct().Count());
        Assert.Contains(resources.Warnings.Messages(), w => w.StartsWith("virtualNode/client port 8080: virtualService/svc.local left out: its domain 'svc.local' is virtualService/Svc.local's too", StringComparison.Ordinal));
        Assert.Contains(resources.Warnings.Messages(), w => w.StartsWith("virtualNode/client port 8080: the mesh's ALLOW_ALL egress left out: its domain '*' is virtualService/*'s too", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void ABackendWithAnEmptyDnsHostname_IsLeftOut_AndSaysWhy(string hostname)
    {
        // Envoy refuses a cluster whose socket address is empty, and with it the whole CDS response: the backend is left
        // out with a warning, and the client's other backends are still sent.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"blank"}},{"virtualService":{"virtualServiceName":"greeter"}}]}"""),
            new("virtualNode", null, "nowhere", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":""" + $"\"{hostname}\"" + "}}}"),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "blank", 1, """{"provider":{"virtualNode":{"virtualNodeName":"nowhere"}}}"""),
            new("virtualService", null, "greeter", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var addresses = resources.Clusters
            .SelectMany(c => c.LoadAssignment?.Endpoints ?? [])
            .SelectMany(e => e.LbEndpoints)
            .Select(e => e.Endpoint.Address.SocketAddress.Address)
            .ToList();
        Assert.Contains("server.local", addresses);
        Assert.DoesNotContain(addresses, string.IsNullOrWhiteSpace);
        Assert.Contains(resources.Warnings.Messages(), w => w.Contains("virtualNode/nowhere has an empty DNS hostname, so it cannot be reached", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("web\\u0001.local", "has a DNS hostname with spaces or control characters")]
    [InlineData("web.local\\r\\nX: 1", "has a DNS hostname with spaces or control characters")]
    [InlineData("LONG", "has a DNS hostname of 299 bytes, longer than any DNS name")]
    public void ABackendStoredWithAHostnameNoDnsNameCanBe_IsLeftOut_AndSaysWhy(string hostname, string why)
    {
        // The API refuses these hostnames now. One stored before must not reach the callers' clusters: Envoy refuses a
        // health check Host with a control character, and a TLS server name (SNI) of more than 255 bytes, each with
        // the caller's whole cluster update; and no such name resolves.
        hostname = hostname.Replace("LONG", string.Join('.', Enumerable.Repeat(new string('a', 59), 5)), StringComparison.Ordinal);
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"odd"}},{"virtualService":{"virtualServiceName":"greeter"}}],"backendDefaults":{"clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}}}}"""),
            new("virtualNode", null, "nowhere", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"healthCheck":{"protocol":"http","path":"/ping","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}],"serviceDiscovery":{"dns":{"hostname":""" + $"\"{hostname}\"" + "}}}"),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "odd", 1, """{"provider":{"virtualNode":{"virtualNodeName":"nowhere"}}}"""),
            new("virtualService", null, "greeter", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        Assert.Empty(resources.Clusters.SelectMany(c => PgvValidator.Validate(c, EnvoyTypes.Registry)));
        Assert.Contains(resources.Clusters, c => c.Name.Contains("server", StringComparison.Ordinal));
        Assert.DoesNotContain(resources.Clusters, c => c.Name.Contains("nowhere", StringComparison.Ordinal));
        Assert.Contains(resources.Warnings.Messages(), w => w.Contains($"virtualNode/nowhere {why}, so it cannot be reached", StringComparison.Ordinal));
    }

    [Fact]
    public void ARouteOrGatewayRouteStoredWithAnOverlongQueryParameterName_IsLeftOut_AndSaysWhy()
    {
        // Envoy takes a query parameter matcher's name of at most 1,024 bytes and refuses the whole route configuration
        // for a longer one. The API refuses such a name now; a route stored before is left out, and the others stay.
        var name = new string('q', 1025);
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
            new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
            new("route", "r", "long", 1, """{"httpRoute":{"match":{"prefix":"/a","queryParameters":[{"name":"%"}]},"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}""".Replace("%", name, StringComparison.Ordinal)),
            new("route", "r", "plain", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}"""),
            new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
            new("gatewayRoute", "gw", "long", 1, """{"httpRoute":{"match":{"prefix":"/b","queryParameters":[{"name":"ok"},{"name":"%"}]},"action":{"target":{"virtualService":{"virtualServiceName":"svc"}}}}}""".Replace("%", name, StringComparison.Ordinal)),
            new("gatewayRoute", "gw", "plain", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"target":{"virtualService":{"virtualServiceName":"svc"}}}}}"""),
        });

        var sidecar = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));
        var gateway = new MeshTranslator().Translate(graph, ProxyTarget.VirtualGateway("gw"));

        foreach (var resources in new[] { sidecar, gateway })
        {
            Assert.Empty(resources.RouteConfigurations.SelectMany(r => PgvValidator.Validate(r, EnvoyTypes.Registry)));
            Assert.Contains(resources.RouteConfigurations.SelectMany(r => r.VirtualHosts).SelectMany(v => v.Routes), r => r.Name.EndsWith("plain", StringComparison.Ordinal));
        }

        Assert.Contains(sidecar.Warnings.Messages(), w => w.Contains("virtualRouter/r/route/long: left out: match.queryParameters[0].name is 1025 bytes; Envoy takes at most 1024", StringComparison.Ordinal));
        Assert.Contains(gateway.Warnings.Messages(), w => w == "virtualGateway/gw/gatewayRoute/long: left out: match.queryParameters[1].name is 1025 bytes; Envoy takes at most 1024; its match cannot be given to Envoy, so requests it would match go on to the next gateway route that matches them (or get 404)");
    }

    [Theory]
    [InlineData("httpRoute", """{"prefix":"/a/"}""", """{"prefix":{"value":"/b/\r\nX: y/"}}""", "its rewritten path has a NUL, CR or LF, which Envoy refuses")]
    [InlineData("httpRoute", """{"path":{"exact":"/a"}}""", """{"path":{"exact":"/b\n"}}""", "its rewritten path has a NUL, CR or LF, which Envoy refuses")]
    [InlineData("httpRoute", """{"prefix":"/a/"}""", """{"prefix":{"value":"/b c/"}}""", "its rewritten path has a space or control character, which no request's path may hold")]
    [InlineData("http2Route", """{"prefix":"/a\r\nX: y"}""", "null", "match.prefix has a space or control character, which no request's path holds")]
    [InlineData("httpRoute", """{"path":{"exact":"/a\t"}}""", "null", "match.path.exact has a space or control character, which no request's path holds")]
    [InlineData("httpRoute", """{"prefix":"/a","hostname":{"exact":"a b.example"}}""", "null", "match.hostname.exact has a space or control character, which no request's host holds")]
    [InlineData("grpcRoute", """{"serviceName":"a.B","hostname":{"suffix":".example\n"}}""", "null", "match.hostname.suffix has a space or control character, which no request's host holds")]
    public void AGatewayRouteStoredWithAValueTheApiRefuses_Answers503InItsPlace_AndSaysWhy(string protocol, string match, string rewrite, string why)
    {
        // The API refuses these values now. A gateway route stored with one before cannot be served, but its match can
        // still be given to Envoy (Envoy takes any text to compare a path or host with), so it answers 503 in its place
        // as a gateway route with an unservable target does: left out, its requests would go on to the catch-all
        // gateway route of another service. The rewrite is never sent: Envoy refuses one with a CR or LF, and with it
        // the gateway's whole route configuration.
        var listener = protocol.Replace("Route", "", StringComparison.Ordinal);
        var plainMatch = protocol == "grpcRoute" ? "{}" : """{"prefix":"/"}""";
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"PROTO"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}""".Replace("PROTO", listener, StringComparison.Ordinal)),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
            new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"PROTO"}}]}""".Replace("PROTO", listener, StringComparison.Ordinal)),
            new("gatewayRoute", "gw", "bad", 1, """{"ROUTE":{"match":MATCH,"action":{"target":{"virtualService":{"virtualServiceName":"svc"}},"rewrite":REWRITE}}}""".Replace("ROUTE", protocol, StringComparison.Ordinal).Replace("MATCH", match, StringComparison.Ordinal).Replace("REWRITE", rewrite, StringComparison.Ordinal)),
            new("gatewayRoute", "gw", "plain", 1, """{"ROUTE":{"match":MATCH,"action":{"target":{"virtualService":{"virtualServiceName":"svc"}}}}}""".Replace("ROUTE", protocol, StringComparison.Ordinal).Replace("MATCH", plainMatch, StringComparison.Ordinal)),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualGateway("gw"));

        Assert.Empty(resources.RouteConfigurations.SelectMany(r => PgvValidator.Validate(r, EnvoyTypes.Registry)));
        var routes = resources.RouteConfigurations.SelectMany(r => r.VirtualHosts).SelectMany(v => v.Routes).ToList();
        Assert.Contains(routes, r => r.Name.StartsWith("plain", StringComparison.Ordinal));
        var bad = Assert.Single(routes, r => r.Name.StartsWith("bad", StringComparison.Ordinal));
        Assert.Equal(503u, bad.DirectResponse?.Status);
        Assert.True(routes.IndexOf(bad) < routes.FindIndex(r => r.Name.StartsWith("plain", StringComparison.Ordinal)), "the 503 comes before the catch-all");
        Assert.Contains(resources.Warnings.Messages(), w => w == $"virtualGateway/gw/gatewayRoute/bad: {why}; the gateway route answers 503 (direct response)");
    }

    [Theory]
    [InlineData("httpRoute", """{"prefix":"/a","headers":[{"name":"x-ok"},{"name":"x-a\r\nx-b"}]}""", "match.headers[1].name has a NUL, CR or LF, which Envoy refuses")]
    [InlineData("http2Route", """{"prefix":"/a","queryParameters":[{"name":""}]}""", "match.queryParameters[0].name is empty, which Envoy refuses")]
    [InlineData("grpcRoute", """{"serviceName":"a.B","metadata":[{"name":"x\n"}]}""", "match.metadata[0].name has a NUL, CR or LF, which Envoy refuses")]
    public void ARouteOrGatewayRouteStoredWithAMatchNameEnvoyRefuses_IsLeftOut_AndSaysWhy(string protocol, string match, string why)
    {
        // Envoy refuses a header matcher's name with a NUL, CR or LF and a query parameter matcher's empty name, with
        // the whole route configuration. The API refuses both now; a route stored with one before is left out.
        var listener = protocol.Replace("Route", "", StringComparison.Ordinal);
        var plainMatch = protocol == "grpcRoute" ? "{}" : """{"prefix":"/"}""";
        var gatewayMatch = match.Replace("\"prefix\":\"/a\"", "\"prefix\":\"/b\"", StringComparison.Ordinal);
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"PROTO"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}""".Replace("PROTO", listener, StringComparison.Ordinal)),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
            new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"PROTO"}}]}""".Replace("PROTO", listener, StringComparison.Ordinal)),
            new("route", "r", "bad", 1, """{"ROUTE":{"match":MATCH,"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}""".Replace("ROUTE", protocol, StringComparison.Ordinal).Replace("MATCH", match, StringComparison.Ordinal)),
            new("route", "r", "plain", 1, """{"ROUTE":{"match":MATCH,"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}""".Replace("ROUTE", protocol, StringComparison.Ordinal).Replace("MATCH", plainMatch, StringComparison.Ordinal)),
            new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"PROTO"}}]}""".Replace("PROTO", listener, StringComparison.Ordinal)),
            new("gatewayRoute", "gw", "bad", 1, """{"ROUTE":{"match":MATCH,"action":{"target":{"virtualService":{"virtualServiceName":"svc"}}}}}""".Replace("ROUTE", protocol, StringComparison.Ordinal).Replace("MATCH", gatewayMatch, StringComparison.Ordinal)),
            new("gatewayRoute", "gw", "plain", 1, """{"ROUTE":{"match":MATCH,"action":{"target":{"virtualService":{"virtualServiceName":"svc"}}}}}""".Replace("ROUTE", protocol, StringComparison.Ordinal).Replace("MATCH", plainMatch, StringComparison.Ordinal)),
        });

        var sidecar = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));
        var gateway = new MeshTranslator().Translate(graph, ProxyTarget.VirtualGateway("gw"));

        foreach (var resources in new[] { sidecar, gateway })
        {
            Assert.Empty(resources.RouteConfigurations.SelectMany(r => PgvValidator.Validate(r, EnvoyTypes.Registry)));
            var routes = resources.RouteConfigurations.SelectMany(r => r.VirtualHosts).SelectMany(v => v.Routes).ToList();
            Assert.Contains(routes, r => r.Name.EndsWith("plain", StringComparison.Ordinal));
            Assert.DoesNotContain(routes, r => r.Name.EndsWith("bad", StringComparison.Ordinal) || r.Name.StartsWith("bad", StringComparison.Ordinal));
        }

        Assert.Contains(sidecar.Warnings.Messages(), w => w.Contains($"virtualRouter/r/route/bad: left out: {why}", StringComparison.Ordinal));
        Assert.Contains(gateway.Warnings.Messages(), w => w == $"virtualGateway/gw/gatewayRoute/bad: left out: {why}; its match cannot be given to Envoy, so requests it would match go on to the next gateway route that matches them (or get 404)");
    }

    [Fact]
    public void AMatchValueNoRequestCarries_IsWarnedOf_NamingTheRouteAndMember()
    {
        // The API takes any text as a header's, gRPC metadata's or query parameter's value, and so does Envoy; but no
        // request's header value holds a control character other than a tab, nor its path a space or control
        // character, so such a condition never holds (and, inverted, always does). The route is still served.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}},{"virtualService":{"virtualServiceName":"rpc"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":50051,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
            new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
            new("route", "r", "header", 1, """{"httpRoute":{"match":{"prefix":"/a","headers":[{"name":"x-ok","match":{"exact":"a\tb"}},{"name":"x-bad","match":{"prefix":"v1\r\nx-injected: 1"}}]},"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}"""),
            new("route", "r", "inverted", 1, """{"httpRoute":{"match":{"prefix":"/b","headers":[{"name":"x-bad","invert":true,"match":{"suffix":"\u0001"}}]},"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}"""),
            new("route", "r", "query", 1, """{"httpRoute":{"match":{"prefix":"/c","queryParameters":[{"name":"q","match":{"exact":"a b"}}]},"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}"""),
            new("virtualService", null, "rpc", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"g"}}}"""),
            new("virtualRouter", null, "g", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"}}]}"""),
            new("route", "g", "metadata", 1, """{"grpcRoute":{"match":{"serviceName":"s","metadata":[{"name":"x-bad","match":{"exact":"\u0000"}}]},"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}"""),
            new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
            new("gatewayRoute", "gw", "header", 1, """{"httpRoute":{"match":{"prefix":"/","headers":[{"name":"x-bad","match":{"exact":"\n"}}]},"action":{"target":{"virtualService":{"virtualServiceName":"svc"}}}}}"""),
        });

        var sidecar = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));
        var gateway = new MeshTranslator().Translate(graph, ProxyTarget.VirtualGateway("gw"));

        Assert.Equal(
            [
                new(WarningKind.MatchNeverMatches, "virtualNode/client backend virtualService/rpc: virtualRouter/g/route/metadata: match.metadata[0].match.exact has a control character, which no request's header value holds, so the route never matches a request"),
                new(WarningKind.MatchNeverMatches, "virtualNode/client backend virtualService/svc: virtualRouter/r/route/header: match.headers[1].match.prefix has a control character, which no request's header value holds, so the route never matches a request"),
                new(WarningKind.SettingIgnored, "virtualNode/client backend virtualService/svc: virtualRouter/r/route/inverted: match.headers[0].match.suffix has a control character, which no request's header value holds, so its inverted condition holds for every request"),
                new(WarningKind.MatchNeverMatches, "virtualNode/client backend virtualService/svc: virtualRouter/r/route/query: match.queryParameters[0].match.exact has a space or control character, which no request's path holds, so the route never matches a request"),
            ],
            sidecar.Warnings);
        Assert.Contains(sidecar.RouteConfigurations.SelectMany(c => c.VirtualHosts).SelectMany(h => h.Routes), r => r.Match.Prefix == "/a" && r.Match.Headers.Count == 2);
        Assert.Contains(
            new TranslationWarning(WarningKind.MatchNeverMatches, "virtualGateway/gw/gatewayRoute/header: match.headers[0].match.exact has a control character, which no request's header value holds, so the gateway route never matches a request"),
            gateway.Warnings);
    }

    [Theory]
    [InlineData("""{"prefix":"/v2/a\r\nX: y"}""", "match.prefix")]
    [InlineData("""{"path":{"exact":"/v2/a\n"}}""", "match.path.exact")]
    public void ARouteStoredWithALineBreakInItsPath_IsLeftOut_AndSaysWhy(string match, string member)
    {
        // A gateway that rewrites into a router's routes sends the router route's prefix or path on as its rewrite,
        // and Envoy refuses a rewrite with a CR or LF with the gateway's whole route configuration. No request's path
        // holds one, so the route never matched anyway. The API refuses such a path now; one stored before is left out.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
            new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
            new("route", "r", "bad", 1, """{"httpRoute":{"match":MATCH,"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}""".Replace("MATCH", match, StringComparison.Ordinal)),
            new("route", "r", "plain", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"server","weight":1}]}}}"""),
            new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
            new("gatewayRoute", "gw", "app", 1, """{"httpRoute":{"match":{"prefix":"/app/"},"action":{"target":{"virtualService":{"virtualServiceName":"svc"}},"rewrite":{"prefix":{"value":"/v2/"}}}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualGateway("gw"));

        Assert.Empty(resources.RouteConfigurations.SelectMany(r => PgvValidator.Validate(r, EnvoyTypes.Registry)));
        var routes = resources.RouteConfigurations.SelectMany(r => r.VirtualHosts).SelectMany(v => v.Routes).ToList();
        Assert.Contains(routes, r => r.Name == "app/plain");
        Assert.DoesNotContain(routes, r => r.Name == "app/bad");
        Assert.Contains(resources.Warnings.Messages(), w => w.Contains($"virtualRouter/r/route/bad: left out: {member} has a space or control character, which no request's path holds", StringComparison.Ordinal));
    }

    [Fact]
    public void AnAcmCertificateOrTrustStoredWithAnEmptyArn_WaitsForANamedSecret_AndSaysWhy()
    {
        // The API refuses an empty ARN now; one stored before must still not give an SDS secret config without a name,
        // which Envoy refuses together with every other listener or cluster of the response.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"listeners":[{"portMapping":{"port":8443,"protocol":"http"},"tls":{"mode":"STRICT","certificate":{"acm":{"certificateArn":""}}}}],"backends":[{"virtualService":{"virtualServiceName":"greeter"}}],"backendDefaults":{"clientPolicy":{"tls":{"validation":{"trust":{"acm":{"certificateAuthorityArns":[""]}}}}}}}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "greeter", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var errors = resources.Listeners.Concat<IMessage>(resources.Clusters).SelectMany(m => PgvValidator.Validate(m, EnvoyTypes.Registry)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Contains(resources.Warnings.Messages(), w => w.Contains("so the SDS secret 'acm:empty-arn' the listener asks for never arrives: after Envoy's initial fetch timeout (15 s) the listener comes up without a certificate and refuses every TLS handshake", StringComparison.Ordinal));
        Assert.Contains(resources.Warnings.Messages(), w => w.Contains("so the SDS secret 'acm:empty-arn' the cluster validates with never arrives: after Envoy's initial fetch timeout (15 s) the cluster comes up without it and every TLS connection through it fails", StringComparison.Ordinal));
    }

    [Fact]
    public void ATcpRouteTargetWeightedZero_IsLeftOut_ForTheTcpProxyRefusesWeightZero()
    {
        // An HTTP route's weighted clusters take a weight of 0; the TCP proxy's do not, and Envoy would reject the whole
        // listener update with it. The zero-weight target gets no connection either way, so it is left out.
        var resources = new MeshTranslator().Translate(TcpRouterGraph("""[{"virtualNode":"a","weight":0},{"virtualNode":"b","weight":3},{"virtualNode":"c","weight":1}]"""), ProxyTarget.VirtualNode("client"));

        var errors = resources.Listeners.SelectMany(m => PgvValidator.Validate(m, EnvoyTypes.Registry)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var proxy = TcpProxies(resources).Single();
        Assert.Equal([3u, 1u], proxy.WeightedClusters.Clusters.Select(c => c.Weight));
        Assert.DoesNotContain(proxy.WeightedClusters.Clusters, c => c.Name.Contains("_a_", StringComparison.Ordinal));
        Assert.Empty(resources.Warnings.Messages());
    }

    [Fact]
    public void ATcpRouteWhoseReachableTargetsAreAllWeightedZero_ForwardsNothing_AndSaysWhy()
    {
        // Target b does not exist; a, the one left, is weighted 0: no connection may go to it.
        var resources = new MeshTranslator().Translate(TcpRouterGraph("""[{"virtualNode":"a","weight":0},{"virtualNode":"ghost","weight":1}]"""), ProxyTarget.VirtualNode("client"));

        Assert.Empty(TcpProxies(resources));
        Assert.Contains(resources.Warnings.Messages(), w => w.EndsWith("virtualRouter/r/route/tcp: no reachable target with a weight above 0; connections to port 9000 are not forwarded", StringComparison.Ordinal));
    }

    [Fact]
    public void ARouteWhoseTargetsAllCannotBeReached_IsOneWarningPerCause_SayingWhatItsRequestsGet()
    {
        // Each target's cause is said once, with what the route's requests (or connections) get, not followed by a
        // second warning that the route has no reachable target.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"web"}},{"virtualService":{"virtualServiceName":"db"}}]}"""),
            new("virtualNode", null, "nosd", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":9000,"protocol":"tcp"}}]}"""),
            new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
            new("route", "r", "broken", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"nosd","weight":1},{"virtualNode":"ghost","weight":1}]}}}"""),
            new("virtualService", null, "web", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
            new("virtualRouter", null, "t", 1, """{"listeners":[{"portMapping":{"port":9000,"protocol":"tcp"}}]}"""),
            new("route", "t", "tcp", 1, """{"tcpRoute":{"action":{"weightedTargets":[{"virtualNode":"nosd","weight":1}]}}}"""),
            new("virtualService", null, "db", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"t"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        Assert.Equal(
            [
                new(WarningKind.UnreachableBackend, "virtualNode/client backend virtualService/db: virtualRouter/t/route/tcp: virtualNode/nosd has no service discovery, so it cannot be reached (give it dns or awsCloudMap service discovery); connections to port 9000 are not forwarded"),
                new(WarningKind.MissingResource, "virtualNode/client backend virtualService/web: virtualRouter/r/route/broken: target virtualNode/ghost does not exist; the route answers 503"),
                new(WarningKind.UnreachableBackend, "virtualNode/client backend virtualService/web: virtualRouter/r/route/broken: virtualNode/nosd has no service discovery, so it cannot be reached (give it dns or awsCloudMap service discovery); the route answers 503"),
            ],
            resources.Warnings);

        // A proxyless gRPC client's calls on such a route fail with UNAVAILABLE, and the warning says so.
        var proxyless = new MeshTranslator().Translate(graph, ProxyTarget.Proxyless("web"));
        Assert.Contains(
            "proxyless gRPC clients of virtualService/web port 8080: virtualRouter/r/route/broken: target virtualNode/ghost does not exist; the route answers UNAVAILABLE",
            proxyless.Warnings.Messages());
    }

    [Fact]
    public void ATcpPortOfARouterWithNoTcpRoute_ForwardsNothing_AndSaysWhy()
    {
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"db"}}]}"""),
            new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":9000,"protocol":"tcp"}}]}"""),
            new("virtualService", null, "db", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        Assert.Empty(TcpProxies(resources));
        Assert.Equal(
            ["virtualNode/client backend virtualService/db: no tcpRoute of virtualRouter/r serves port 9000, so connections to virtualService/db there are not forwarded until one is added"],
            resources.Warnings.Messages());
    }

    [Fact]
    public void OneCauseOnSeveralPortsOfABackend_IsOneWarning_NamingThePorts()
    {
        // A sidecar translates each port of a backend on its own; a cause that holds on several of them (a router with
        // no route for them, a provider node without service discovery) is said once, not once per port, and a node
        // that cannot be reached is said once with what its callers' requests get, not twice.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"routed"}},{"virtualService":{"virtualServiceName":"direct"}}]}"""),
            new("virtualNode", null, "nosd", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":8081,"protocol":"http2"}},{"portMapping":{"port":9000,"protocol":"tcp"}}]}"""),
            new("virtualService", null, "direct", 1, """{"provider":{"virtualNode":{"virtualNodeName":"nosd"}}}"""),
            new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}},{"portMapping":{"port":81,"protocol":"grpc"}},{"portMapping":{"port":9001,"protocol":"tcp"}},{"portMapping":{"port":9002,"protocol":"tcp"}}]}"""),
            new("virtualService", null, "routed", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        Assert.Equal(
            [
                "virtualNode/client backend virtualService/direct: virtualNode/nosd has no service discovery, so it cannot be reached (give it dns or awsCloudMap service discovery); connections to virtualService/direct on port 9000 are not forwarded",
                "virtualNode/client backend virtualService/direct: virtualNode/nosd has no service discovery, so it cannot be reached (give it dns or awsCloudMap service discovery); requests to virtualService/direct on ports 8080, 8081 answer 503",
                "virtualNode/client backend virtualService/routed: no route of virtualRouter/r serves ports 80 (http), 81 (grpc), so requests to virtualService/routed there get 404 (no route) until one is added",
                "virtualNode/client backend virtualService/routed: no tcpRoute of virtualRouter/r serves ports 9001, 9002, so connections to virtualService/routed there are not forwarded until one is added",
            ],
            resources.Warnings.Messages());
    }

    [Fact]
    public void ARouteOfAKindNoneOfItsRoutersListenersHas_IsWarnedOf()
    {
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
            new("virtualNode", null, "a", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":50051,"protocol":"grpc"}}],"serviceDiscovery":{"dns":{"hostname":"a.local"}}}"""),
            new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":50051,"protocol":"grpc"}}]}"""),
            new("route", "r", "web", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}"""),
            new("route", "r", "h2", 1, """{"http2Route":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}"""),
            new("route", "r", "rpc-on-web-port", 1, """{"grpcRoute":{"match":{"serviceName":"s.S","port":8080},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}"""),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        // The httpRoute is served on 8080 and not warned of, though it does not fit the grpc port it also applies to;
        // that port, with no route of its kind, answers every request 404, which is said too.
        Assert.Equal(
            [
                "virtualNode/client backend virtualService/svc: no route of virtualRouter/r serves port 50051 (grpc), so requests to virtualService/svc there get 404 (no route) until one is added",
                "virtualRouter/r/route/h2: not applied: it is an http2Route, and the router's listeners it applies to are http on port 8080, grpc on port 50051",
                "virtualRouter/r/route/rpc-on-web-port: not applied: it is a grpcRoute, and the router's listeners it applies to are http on port 8080",
            ],
            resources.Warnings.Messages());
    }

    [Theory]
    [InlineData("http", false)]
    [InlineData("tcp", false)]
    [InlineData("http2", true)]
    [InlineData("grpc", true)]
    public void AGrpcHealthCheck_IsKeptOnlyWhereTheListenerSpeaksHttp2(string protocol, bool kept)
    {
        // Envoy refuses a gRPC health check on a cluster without HTTP/2, with the whole cluster update. The API refuses
        // such a spec; one stored before it did is served without the check, and said so.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"%"},"healthCheck":{"protocol":"grpc","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}""".Replace("%", protocol, StringComparison.Ordinal)),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var cluster = Assert.Single(resources.Clusters, c => c.Name.Contains("server", StringComparison.Ordinal));
        Assert.Equal(kept, cluster.HealthChecks.Any(h => h.GrpcHealthCheck is not null));
        Assert.Equal(!kept, resources.Warnings.Messages().Any(w => w.Contains("virtualNode/server listener 8080: its grpc health check is left out", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("tcp", "tcp", "/health", "its tcp health check's path '/health' is ignored: a tcp check only opens a connection")]
    [InlineData("grpc", "grpc", "/health", "its grpc health check's path '/health' is ignored: a grpc check asks the gRPC health service, which takes no path")]
    [InlineData("http", "tcp", "", null)]
    [InlineData("http", "http", "/health", null)]
    public void AHealthCheckPathNoCheckOfItsProtocolSends_IsWarnedOf(string listener, string protocol, string path, string? warning)
    {
        // The model takes a path for every protocol; a TCP check only connects, a gRPC check asks the gRPC health
        // service: the check is served, and its ignored path said, not dropped without a word.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"LISTENER"},"healthCheck":{"protocol":"PROTO","path":"PATH","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""
                .Replace("LISTENER", listener, StringComparison.Ordinal).Replace("PROTO", protocol, StringComparison.Ordinal).Replace("PATH", path, StringComparison.Ordinal)),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var cluster = Assert.Single(resources.Clusters, c => c.Name.Contains("server", StringComparison.Ordinal));
        Assert.Single(cluster.HealthChecks);
        Assert.Equal(
            warning is null ? [] : [$"virtualNode/client backend virtualService/svc: virtualNode/server listener 8080: {warning}"],
            resources.Warnings.Messages().Where(w => w.Contains("health check", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("""{"dns":{"hostname":"server.local"}}""", true)]
    [InlineData("""{"dns":{"hostname":"server.local","responseType":"LOADBALANCER"}}""", true)]
    [InlineData("""{"dns":{"hostname":"server.local","responseType":"ENDPOINTS"}}""", false)]
    [InlineData("""{"awsCloudMap":{"namespaceName":"ns","serviceName":"server"}}""", false)]
    public void OutlierDetectionOnAClusterOfOneHost_IsWarnedOf(string discovery, bool warned)
    {
        // DNS responseType LOADBALANCER gives a LOGICAL_DNS cluster, which has one host (RM#273): ejecting it steers no
        // request away, so the detection is accepted and changes nothing, which is said.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"outlierDetection":{"maxServerErrors":5,"interval":{"unit":"s","value":10},"baseEjectionDuration":{"unit":"s","value":30},"maxEjectionPercent":50}}],"serviceDiscovery":DISCOVERY}""".Replace("DISCOVERY", discovery, StringComparison.Ordinal)),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var cluster = Assert.Single(resources.Clusters, c => c.Name.Contains("server", StringComparison.Ordinal));
        Assert.NotNull(cluster.OutlierDetection);
        Assert.Equal(warned, resources.Warnings.Messages().Any(w => w.StartsWith(
            "virtualNode/client backend virtualService/svc: virtualNode/server listener 8080: its outlier detection has only one host to eject: DNS responseType LOADBALANCER resolves the hostname to one address at a time (a LOGICAL_DNS cluster)",
            StringComparison.Ordinal)));
    }

    [Fact]
    public void AGatewayRouteAfterOneThatTakesEveryRequestItMatches_IsWarnedOf_NamingBoth()
    {
        // A gateway route never lets a request go on to a later one, so one ordered after a route whose match holds for
        // every request it matches never receives any. Said only when certain: a regex, or an earlier route with any
        // header, method, hostname or query condition, is not taken to cover it.
        static string Route(string match, int? priority = null) =>
            "{" + (priority is { } p ? $"\"priority\":{p}," : "") + "\"httpRoute\":{\"match\":" + match + ",\"action\":{\"target\":{\"virtualService\":{\"virtualServiceName\":\"svc\"}}}}}";
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
            new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":8081,"protocol":"http"}}]}"""),
            new("gatewayRoute", "gw", "canary", 1, Route("""{"prefix":"/","headers":[{"name":"x-canary"}]}""", 0)),
            new("gatewayRoute", "gw", "api", 1, Route("""{"prefix":"/api"}""", 1)),
            new("gatewayRoute", "gw", "api-users", 1, Route("""{"path":{"exact":"/api/users"},"method":"GET"}""", 2)),
            new("gatewayRoute", "gw", "all", 1, Route("""{"prefix":"/"}""", 5)),
            new("gatewayRoute", "gw", "late", 1, Route("""{"prefix":"/late"}""", 9)),
            new("gatewayRoute", "gw", "regex", 1, Route("""{"path":{"regex":"/r.*"}}""", 9)),
            new("gatewayRoute", "gw", "host", 1, Route("""{"prefix":"/x","hostname":{"exact":"a.example"}}""")),
            new("gatewayRoute", "gw", "on-8081", 1, Route("""{"prefix":"/z","port":8081}""", 9)),
            new("gatewayRoute", "gw", "after-canary", 1, Route("""{"prefix":"/c"}""", 0)),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualGateway("gw"));

        const string Rest = "comes before it (by priority, then most specific first, then name) and takes all of its requests";
        Assert.Equal(
            [
                $"virtualGateway/gw/gatewayRoute/api-users: never receives a request on the gateway's ports 8080 (http), 8081 (http): gatewayRoute/api {Rest}",
                $"virtualGateway/gw/gatewayRoute/host: never receives a request on the gateway's ports 8080 (http), 8081 (http): gatewayRoute/all {Rest}",
                $"virtualGateway/gw/gatewayRoute/late: never receives a request on the gateway's ports 8080 (http), 8081 (http): gatewayRoute/all {Rest}",
                $"virtualGateway/gw/gatewayRoute/on-8081: never receives a request on the gateway's port 8081 (http): gatewayRoute/all {Rest}",
            ],
            resources.Warnings.Messages());
    }

    [Fact]
    public void AGatewayListenersHealthCheck_IsWarnedOfAsIgnored()
    {
        // The model takes a health check on a gateway's listener, but nothing calls a gateway through the mesh.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"healthCheck":{"protocol":"http","path":"/ping","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}},{"portMapping":{"port":8443,"protocol":"http2"}}]}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualGateway("gw"));

        Assert.Equal(["virtualGateway/gw listener http:8080: healthCheck is ignored: no proxy of the mesh calls a gateway, so nothing health-checks it"], resources.Warnings.Messages());
    }

    [Theory]
    [InlineData("/ping", true)]
    [InlineData("/ping\\tme", true)]
    [InlineData("/ping\\u0007", false)]
    [InlineData("/ping\\u007f", false)]
    [InlineData("/a\\u001b[0m", false)]
    public void AnHttpHealthCheckPath_IsKeptOnlyWhenEnvoyTakesIt(string path, bool kept)
    {
        // Envoy takes a health check's path only as a strict header value (no control character but a tab), and
        // refuses the whole cluster update of every caller for one. The API refuses such a path; one stored before it
        // did is served without the check, and said so.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"healthCheck":{"protocol":"http","path":"%","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}""".Replace("%", path, StringComparison.Ordinal)),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var cluster = Assert.Single(resources.Clusters, c => c.Name.Contains("server", StringComparison.Ordinal));
        Assert.Empty(PgvValidator.Validate(cluster, EnvoyTypes.Registry));
        Assert.Equal(kept, cluster.HealthChecks.Any(h => h.HttpHealthCheck is not null));
        Assert.Equal(!kept, resources.Warnings.Messages().Any(w => w.Contains("virtualNode/server listener 8080: its http health check is left out: its path has a control character, which Envoy refuses", StringComparison.Ordinal)));
    }

    [Fact]
    public void ABackendStoredTwiceWithDifferentClientPolicies_IsWarnedOf()
    {
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}},{"virtualService":{"virtualServiceName":"svc","clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}}}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        Assert.Equal(["virtualNode/client backend virtualService/svc: listed 2 times with different client policies; the first entry's is used"], resources.Warnings.Messages());
    }

    [Theory]
    [InlineData(15000, "its ingress listener")]
    [InlineData(15001, "its egress listener")]
    [InlineData(9901, "its admin interface")]
    public void AListenerOnAPortTheSidecarHolds_IsWarnedOf(int port, string held)
    {
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "app", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}},{"portMapping":{"port":""" + port + ""","protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"app.local"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("app"));

        var warning = Assert.Single(resources.Warnings.Messages());
        Assert.StartsWith($"virtualNode/app listener {port}: the sidecar's Envoy holds port {port} for {held}", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void AListenersValidation_RequiresAClientCertificateInStrictMode_AndOnlyChecksOneInPermissive()
    {
        // App Mesh's plaintext-to-mTLS migration sets the server's validation in PERMISSIVE while its clients reach it
        // by TLS without certificates yet; STRICT is the step that refuses them.
        const string tls = """{"mode":"%","certificate":{"file":{"certificateChain":"/c","privateKey":"/k"}},"validation":{"trust":{"file":{"certificateChain":"/ca"}}}}""";
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8443,"protocol":"http"},"tls":""" + tls.Replace("%", "STRICT", StringComparison.Ordinal)
                + """},{"portMapping":{"port":9443,"protocol":"http"},"tls":""" + tls.Replace("%", "PERMISSIVE", StringComparison.Ordinal)
                + """}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("server"));

        var contexts = resources.Listeners
            .SelectMany(l => l.FilterChains)
            .Where(c => c.TransportSocket is not null)
            .ToDictionary(c => c.FilterChainMatch.DestinationPort ?? 0, c => c.TransportSocket.TypedConfig.Unpack<Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext>());
        Assert.Equal(true, contexts[8443].RequireClientCertificate);
        Assert.NotEqual(true, contexts[9443].RequireClientCertificate);
        Assert.NotNull(contexts[9443].CommonTlsContext.ValidationContext);
    }

    [Fact]
    public void TheIngressTlsInspector_ReadsOnlyPermissivePorts()
    {
        // A server-first protocol (MySQL on 3306) must not wait for a ClientHello it will never send.
        const string permissive = """{"mode":"PERMISSIVE","certificate":{"file":{"certificateChain":"/c","privateKey":"/k"}}}""";
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":9443,"protocol":"http"},"tls":""" + permissive
                + """},{"portMapping":{"port":3306,"protocol":"tcp"}},{"portMapping":{"port":8443,"protocol":"grpc"},"tls":""" + permissive
                + """}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("server"));

        var ingress = Assert.Single(resources.Listeners, l => l.Name == EnvoyNames.IngressListener);
        Assert.Empty(PgvValidator.Validate(ingress, EnvoyTypes.Registry));
        var inspector = Assert.Single(ingress.ListenerFilters, f => f.Name == "envoy.filters.listener.tls_inspector");
        var ports = inspector.FilterDisabled.NotMatch.OrMatch.Rules.Select(r => (r.DestinationPortRange.Start, r.DestinationPortRange.End));
        Assert.Equal([(8443, 8444), (9443, 9444)], ports);
    }

    [Theory]
    [InlineData("10.0.1.5", null, "IpAddress")]
    [InlineData("fd00::5", null, "IpAddress")]
    [InlineData("server.local", "server.local", "Dns")]
    [InlineData("10.1", "10.1", "Dns")]
    public void ANodeFoundByItsIp_IsNotNamedInSni_AndItsDefaultSanIsAnIpSan(string hostname, string? sni, string sanType)
    {
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc","clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/ca"}}}}}}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8443,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"%"}}}""".Replace("%", hostname, StringComparison.Ordinal)),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var cluster = Assert.Single(resources.Clusters, c => c.Name.Contains("server", StringComparison.Ordinal));
        var tls = cluster.TransportSocket.TypedConfig.Unpack<Envoy.Extensions.TransportSockets.Tls.V3.UpstreamTlsContext>();
        Assert.Equal(sni ?? "", tls.Sni);
        var san = Assert.Single(tls.CommonTlsContext.ValidationContext.MatchTypedSubjectAltNames);
        Assert.Equal(sanType, san.SanType.ToString());
        Assert.Equal(hostname, san.Matcher.Exact);
    }

    [Theory]
    [InlineData("STRICT", """{"file":{"certificateChain":"/c","privateKey":"/k"}}""", true)]
    [InlineData("PERMISSIVE", """{"file":{"certificateChain":"/c","privateKey":"/k"}}""", true)]
    [InlineData("STRICT", """{"acm":{"certificateArn":"arn:aws:acm:us-east-1:111122223333:certificate/abc"}}""", true)]
    [InlineData("PERMISSIVE", """{"acm":{"certificateArn":"arn:aws:acm:us-east-1:111122223333:certificate/abc"}}""", false)]
    public void AClientWithoutAPolicy_SpeaksTls_ToAListenerThatCanTakeIt(string mode, string certificate, bool tls)
    {
        // An ACM certificate never reaches the listener from this control plane: a PERMISSIVE one still serves its
        // plaintext chain, and its clients use that; a STRICT one fails closed.
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
            new("virtualNode", null, "server", 1, """{"listeners":[{"portMapping":{"port":8443,"protocol":"http"},"tls":{"mode":"%MODE%","certificate":%CERTIFICATE%}}],"serviceDiscovery":{"dns":{"hostname":"server.local"}}}""".Replace("%MODE%", mode, StringComparison.Ordinal).Replace("%CERTIFICATE%", certificate, StringComparison.Ordinal)),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"server"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var cluster = Assert.Single(resources.Clusters, c => c.Name.Contains("server", StringComparison.Ordinal));
        Assert.Equal(tls, cluster.TransportSocket is not null);
    }

    [Fact]
    public void HeaderAndMetadataNames_AreMatchedInLowerCase()
    {
        // gRPC clients look the name up as written among metadata keys that are always lower case; Envoy lowers it.
        var match = Matches.Grpc("svc.S", null, [new Mesh.Model.Specs.GrpcRouteMetadata { Name = "X-Canary", Match = new Mesh.Model.Specs.HeaderMatchMethod { Exact = "1" } }]);

        Assert.Equal("x-canary", Assert.Single(match.Headers).Name);
    }

    [Fact]
    public void ForProxylessClients_HeaderMatches_UseTheFieldsEveryGrpcClientReads_WhileEnvoysKeepStringMatch()
    {
        // C-core 1.51 (python3-grpcio) refuses a whole route configuration holding a header matcher's string_match.
        var graph = Http2RouterGraph(
            ("canary", """{"http2Route":{"match":{"prefix":"/","headers":[{"name":"x-a","match":{"exact":"1"}},{"name":"x-b","match":{"prefix":"p"}},{"name":"x-c","match":{"suffix":"s"}},{"name":"x-d","match":{"regex":"r.*"}},{"name":"x-e","match":{"range":{"start":1,"end":5}}},{"name":"x-f"}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}"""));

        var proxyless = new MeshTranslator().Translate(graph, ProxyTarget.Proxyless("svc", "svc:50051"));
        var sidecar = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var headers = Assert.Single(proxyless.RouteConfigurations.SelectMany(c => c.VirtualHosts).SelectMany(h => h.Routes)).Match.Headers;
#pragma warning disable CS0612 // The deprecated fields are the point.
        Assert.Equal(
            ["x-a ExactMatch 1", "x-b PrefixMatch p", "x-c SuffixMatch s", "x-d SafeRegexMatch r.*", "x-e RangeMatch ", "x-f PresentMatch "],
            headers.Select(h => $"{h.Name} {h.HeaderMatchSpecifierCase} {h.ExactMatch}{h.PrefixMatch}{h.SuffixMatch}{h.SafeRegexMatch?.Regex}"));
#pragma warning restore CS0612
        var envoyHeaders = sidecar.RouteConfigurations.SelectMany(c => c.VirtualHosts).SelectMany(h => h.Routes).Single(r => r.Name == "canary").Match.Headers;
        Assert.Equal(4, envoyHeaders.Count(h => h.HeaderMatchSpecifierCase == Envoy.Config.Route.V3.HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch));
    }

    [Fact]
    public void ForProxylessClients_AMethodOrSchemeCondition_HoldsAsForEveryGrpcCall()
    {
        // A gRPC client's metadata has no pseudo-headers; every gRPC call is a POST over http.
        var graph = Http2RouterGraph(
            ("post", """{"http2Route":{"match":{"prefix":"/","method":"POST","scheme":"http"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}"""),
            ("get", """{"http2Route":{"match":{"prefix":"/x","method":"GET"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}"""));

        var proxyless = new MeshTranslator().Translate(graph, ProxyTarget.Proxyless("svc", "svc:50051"));

        var route = Assert.Single(proxyless.RouteConfigurations.SelectMany(c => c.VirtualHosts).SelectMany(h => h.Routes));
        Assert.Equal("post", route.Name);
        Assert.Empty(route.Match.Headers);
        Assert.Contains(proxyless.Warnings.Messages(), w => w.EndsWith("left out for proxyless gRPC clients: it matches :method GET, and a gRPC call is a POST over http", StringComparison.Ordinal));
    }

    [Fact]
    public void ForProxylessClients_AnIdleTimeout_IsSaidToBeIgnored_AndOnlyForThem()
    {
        var graph = Http2RouterGraph(
            ("web", """{"http2Route":{"match":{"prefix":"/"},"timeout":{"idle":{"unit":"s","value":30}},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}"""),
            ("off", """{"http2Route":{"match":{"prefix":"/off"},"timeout":{"idle":{"unit":"s","value":0}},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}"""));

        var warnings = new MeshTranslator().Translate(graph, ProxyTarget.Proxyless("svc", "svc:50051")).Warnings;

        var warning = Assert.Single(warnings, w => w.Message.Contains("idle timeout", StringComparison.Ordinal));
        Assert.Equal(WarningKind.SettingIgnored, warning.Kind);
        Assert.EndsWith("virtualRouter/r/route/web: proxyless gRPC clients ignore the idle timeout (of a route's timeouts they apply only perRequest, as a deadline)", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client")).Warnings, w => w.Message.Contains("idle timeout", StringComparison.Ordinal));
    }

    [Fact]
    public void ForProxylessClients_ANodeProvidersListenerIdleTimeout_IsSaidToBeIgnored()
    {
        var graph = MeshGraph.Build(
        [
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
            new("virtualNode", null, "a", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"grpc"},"timeout":{"grpc":{"idle":{"unit":"s","value":30}}}}],"serviceDiscovery":{"dns":{"hostname":"a.local"}}}"""),
            new("virtualService", null, "svc", 1, """{"provider":{"virtualNode":{"virtualNodeName":"a"}}}"""),
        ]);

        var warnings = new MeshTranslator().Translate(graph, ProxyTarget.Proxyless("svc")).Warnings.Messages();

        Assert.Contains(warnings, w => w.EndsWith("virtualNode/a listener 50051: proxyless gRPC clients ignore the idle timeout (of a route's timeouts they apply only perRequest, as a deadline)", StringComparison.Ordinal));
    }

    [Fact]
    public void ForProxylessClients_ARetryPolicyWithoutGrpcStatuses_IsSaidToRetryNothing()
    {
        var graph = Http2RouterGraph(
            ("web", """{"http2Route":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]},"retryPolicy":{"maxRetries":2,"perRetryTimeout":{"unit":"s","value":1},"httpRetryEvents":["server-error"]}}}"""));

        var warnings = new MeshTranslator().Translate(graph, ProxyTarget.Proxyless("svc", "svc:50051")).Warnings.Messages();

        Assert.Contains(warnings, w => w.EndsWith("virtualRouter/r/route/web: proxyless gRPC clients do not retry this route: they retry only on gRPC statuses (cancelled, deadline-exceeded, internal, resource-exhausted, unavailable), and it retries on reset,retriable-status-codes", StringComparison.Ordinal));
    }

    [Fact]
    public void ARouteWithNoReachableTarget_FailsItsCalls_AnEnvoyWith503_AProxylessClientThroughAClusterWithoutEndpoints()
    {
        // grpc-js refuses a whole route configuration holding a direct response, so gRPC clients get an empty cluster.
        var graph = Http2RouterGraph(
            ("gone", """{"http2Route":{"match":{"prefix":"/gone"},"action":{"weightedTargets":[{"virtualNode":"ghost","weight":1}]}}}"""),
            ("web", """{"http2Route":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}"""));
        var sidecar = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var proxyless = new MeshTranslator().Translate(graph, ProxyTarget.Proxyless("svc", "svc:50051"));

        var gone = proxyless.RouteConfigurations.SelectMany(c => c.VirtualHosts).SelectMany(h => h.Routes).Single(r => r.Name == "gone");
        Assert.Null(gone.DirectResponse);
        Assert.Equal("cds_proxyless_m_mesh-unavailable", gone.Route_.Cluster);
        var cluster = Assert.Single(proxyless.Clusters, c => c.Name == "cds_proxyless_m_mesh-unavailable");
        Assert.Equal(Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Eds, cluster.Type);
        Assert.Empty(Assert.Single(proxyless.ClusterLoadAssignments, e => e.ClusterName == cluster.Name).Endpoints);
        var envoys = sidecar.RouteConfigurations.SelectMany(c => c.VirtualHosts).SelectMany(h => h.Routes).Single(r => r.Name == "gone");
        Assert.Equal(503u, envoys.DirectResponse.Status);
        Assert.DoesNotContain(sidecar.Clusters, c => c.Name.EndsWith("mesh-unavailable", StringComparison.Ordinal));
    }

    [Fact]
    public void HttpAndTcpBackendsOnOnePort_GiveOneChain_ThatHasTheOneChainStatPrefix()
    {
        // The TCP service loses the port to the HTTP one, so the egress listener has one backend chain, and its
        // connection manager's stats are "egress.*", as any other single chain's (docs/envoy-translation.md "Names").
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"db"}},{"virtualService":{"virtualServiceName":"web"}}]}"""),
            new("virtualNode", null, "db-node", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"tcp"}}],"serviceDiscovery":{"dns":{"hostname":"db.local"}}}"""),
            new("virtualNode", null, "web-node", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}],"serviceDiscovery":{"dns":{"hostname":"web.local"}}}"""),
            new("virtualService", null, "db", 1, """{"provider":{"virtualNode":{"virtualNodeName":"db-node"}}}"""),
            new("virtualService", null, "web", 1, """{"provider":{"virtualNode":{"virtualNodeName":"web-node"}}}"""),
        });

        var resources = new MeshTranslator().Translate(graph, ProxyTarget.VirtualNode("client"));

        var egress = Assert.Single(resources.Listeners, l => l.Name == EnvoyNames.EgressListener);
        var chain = Assert.Single(egress.FilterChains, c => c.Name != "egress_amazonaws");
        Assert.Equal("egress_http_80", chain.Name);
        var hcm = Assert.Single(chain.Filters).TypedConfig.Unpack<Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager>();
        Assert.Equal("egress", hcm.StatPrefix);
        Assert.Contains("virtualNode/client: port 80 is used by HTTP and TCP backends; TCP virtualService/db is not reachable from this node", resources.Warnings.Messages());
    }

    /// <summary>Service <c>svc</c>, router <c>r</c> on http2 port 50051 with the given routes to node <c>a</c>.</summary>
    private static MeshGraph Http2RouterGraph(params (string Name, string Spec)[] routes) => MeshGraph.Build(
    [
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc"}}]}"""),
        new("virtualNode", null, "a", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"http2"}}],"serviceDiscovery":{"dns":{"hostname":"a.local"}}}"""),
        new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":50051,"protocol":"http2"}}]}"""),
        .. routes.Select(r => new MeshResourceRow("route", "r", r.Name, 1, r.Spec)),
        new("virtualService", null, "svc", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
    ]);

    private static MeshGraph TcpRouterGraph(string weightedTargets) => MeshGraph.Build(new MeshResourceRow[]
    {
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "client", 1, """{"backends":[{"virtualService":{"virtualServiceName":"db"}}]}"""),
        new("virtualNode", null, "a", 1, """{"listeners":[{"portMapping":{"port":9000,"protocol":"tcp"}}],"serviceDiscovery":{"dns":{"hostname":"a.local"}}}"""),
        new("virtualNode", null, "b", 1, """{"listeners":[{"portMapping":{"port":9000,"protocol":"tcp"}}],"serviceDiscovery":{"dns":{"hostname":"b.local"}}}"""),
        new("virtualNode", null, "c", 1, """{"listeners":[{"portMapping":{"port":9000,"protocol":"tcp"}}],"serviceDiscovery":{"dns":{"hostname":"c.local"}}}"""),
        new("virtualRouter", null, "r", 1, """{"listeners":[{"portMapping":{"port":9000,"protocol":"tcp"}}]}"""),
        new("route", "r", "tcp", 1, """{"tcpRoute":{"action":{"weightedTargets":""" + weightedTargets + "}}}"),
        new("virtualService", null, "db", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"r"}}}"""),
    });

    private static List<Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy> TcpProxies(ProxyResources resources) =>
        resources.Listeners
            .SelectMany(l => l.FilterChains)
            .SelectMany(c => c.Filters)
            .Where(f => f.TypedConfig?.Is(Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy.Descriptor) == true)
            .Select(f => f.TypedConfig.Unpack<Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy>())
            .Where(p => p.StatPrefix.Contains("db", StringComparison.Ordinal) || p.WeightedClusters is not null)
            .ToList();

    private static void AssertNoClash(IEnumerable<(string Name, IMessage Message)> left, IEnumerable<(string Name, IMessage Message)> right)
    {
        var byName = left.ToDictionary(x => x.Name, x => x.Message);
        foreach (var (name, message) in right)
        {
            if (byName.TryGetValue(name, out var other))
            {
                Assert.True(other.Equals(message), $"{name} differs between sidecar and proxyless output");
            }
        }
    }
}
