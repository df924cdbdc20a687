using System.Text.Json;
using Mesh.Model.Specs;
using HttpMethod = Mesh.Model.Specs.HttpMethod;

namespace Mesh.Model.Tests.Specs;

public sealed class SpecDeserializationTests
{
    [Fact]
    public void Reads_MeshSpec()
    {
        var spec = SpecJson.Deserialize<MeshSpec>("""
            {"egressFilter":{"type":"ALLOW_ALL"},"serviceDiscovery":{"ipPreference":"IPv6_PREFERRED"}}
            """);

        Assert.Equal(EgressFilterType.AllowAll, spec.EgressFilter!.Type);
        Assert.Equal(IpPreference.IPv6Preferred, spec.ServiceDiscovery!.IpPreference);
    }

    [Fact]
    public void Reads_EmptyMeshSpec()
    {
        var spec = SpecJson.Deserialize<MeshSpec>("{}");

        Assert.Null(spec.EgressFilter);
        Assert.Equal(new MeshSpec(), spec);
    }

    [Fact]
    public void Reads_VirtualNodeSpec_WithEveryListenerSetting()
    {
        var spec = SpecJson.Deserialize<VirtualNodeSpec>("""
            {
              "listeners": [{
                "portMapping": {"port": 8080, "protocol": "http"},
                "healthCheck": {"protocol": "http", "path": "/ping", "healthyThreshold": 2, "unhealthyThreshold": 3,
                                "intervalMillis": 5000, "timeoutMillis": 2000, "port": 8081},
                "outlierDetection": {"maxServerErrors": 5, "maxEjectionPercent": 50,
                                     "interval": {"unit": "s", "value": 10}, "baseEjectionDuration": {"unit": "ms", "value": 30000}},
                "connectionPool": {"http": {"maxConnections": 100, "maxPendingRequests": 10}},
                "timeout": {"http": {"perRequest": {"unit": "s", "value": 0}, "idle": {"unit": "s", "value": 600}}},
                "tls": {"mode": "PERMISSIVE",
                        "certificate": {"file": {"certificateChain": "/certs/chain.pem", "privateKey": "/certs/key.pem"}},
                        "validation": {"trust": {"sds": {"secretName": "ca"}},
                                       "subjectAlternativeNames": {"match": {"exact": ["a.example", "b.example"]}}}}
              }],
              "backends": [{"virtualService": {"virtualServiceName": "b.local",
                                               "clientPolicy": {"tls": {"enforce": false, "ports": [443],
                                                                        "validation": {"trust": {"acm": {"certificateAuthorityArns": ["arn:aws:acm-pca:x"]}}}}}}}],
              "backendDefaults": {"clientPolicy": {"tls": {"certificate": {"sds": {"secretName": "me"}},
                                                           "validation": {"trust": {"file": {"certificateChain": "/ca.pem"}}}}}},
              "logging": {"accessLog": {"file": {"path": "/dev/stdout", "format": {"json": [{"key": "status", "value": "%RESPONSE_CODE%"}]}}}},
              "serviceDiscovery": {"dns": {"hostname": "a.local", "responseType": "ENDPOINTS", "ipPreference": "IPv4_ONLY"}}
            }
            """);

        var listener = Assert.Single(spec.Listeners!);
        Assert.Equal(new PortMapping { Port = 8080, Protocol = PortProtocol.Http }, listener.PortMapping);
        Assert.Equal(8081, listener.HealthCheck!.Port);
        Assert.Equal(5000L, listener.HealthCheck.IntervalMillis);
        Assert.Equal(TimeSpan.FromSeconds(30), listener.OutlierDetection!.BaseEjectionDuration.ToTimeSpan());
        Assert.Equal(10, listener.ConnectionPool!.Http!.MaxPendingRequests);
        Assert.Equal(TimeSpan.Zero, listener.Timeout!.Http!.PerRequest!.ToTimeSpan());
        Assert.Equal(ListenerTlsMode.Permissive, listener.Tls!.Mode);
        Assert.Equal("/certs/key.pem", listener.Tls.Certificate.File!.PrivateKey);
        Assert.Equal(["a.example", "b.example"], listener.Tls.Validation!.SubjectAlternativeNames!.Match.Exact);
        var backend = Assert.Single(spec.Backends!).VirtualService!;
        Assert.False(backend.ClientPolicy!.Tls!.Enforce);
        Assert.Equal([443], backend.ClientPolicy.Tls.Ports);
        Assert.Equal("me", spec.BackendDefaults!.ClientPolicy!.Tls!.Certificate!.Sds!.SecretName);
        Assert.Equal("%RESPONSE_CODE%", spec.Logging!.AccessLog!.File!.Format!.Json![0].Value);
        Assert.Equal(DnsResponseType.Endpoints, spec.ServiceDiscovery!.Dns!.ResponseType);
        Assert.Equal(IpPreference.IPv4Only, spec.ServiceDiscovery.Dns.IpPreference);
    }

    [Fact]
    public void Reads_CloudMapServiceDiscovery()
    {
        var spec = SpecJson.Deserialize<VirtualNodeSpec>("""
            {"serviceDiscovery": {"awsCloudMap": {"namespaceName": "ns", "serviceName": "svc",
                                                  "attributes": [{"key": "stage", "value": "prod"}]}}}
            """);

        Assert.Equal("prod", spec.ServiceDiscovery!.AwsCloudMap!.Attributes![0].Value);
    }

    [Fact]
    public void Reads_RouteSpec_Http()
    {
        var spec = SpecJson.Deserialize<RouteSpec>("""
            {"priority": 10,
             "httpRoute": {
               "match": {"prefix": "/", "path": {"regex": "^/a/.*$"}, "method": "POST", "scheme": "https", "port": 80,
                         "headers": [{"name": "x-v", "invert": true, "match": {"range": {"start": 1, "end": 5}}}],
                         "queryParameters": [{"name": "q", "match": {"exact": "1"}}]},
               "action": {"weightedTargets": [{"virtualNode": "a", "weight": 80, "port": 80}, {"virtualNode": "b", "weight": 20}]},
               "retryPolicy": {"maxRetries": 3, "perRetryTimeout": {"unit": "ms", "value": 250},
                               "httpRetryEvents": ["server-error", "gateway-error"], "tcpRetryEvents": ["connection-error"]},
               "timeout": {"perRequest": {"unit": "s", "value": 30}}}}
            """);

        var route = spec.HttpRoute!;
        Assert.Equal(10, spec.Priority);
        Assert.Equal(HttpMethod.Post, route.Match.Method);
        Assert.Equal(HttpScheme.Https, route.Match.Scheme);
        Assert.Equal(new MatchRange { Start = 1, End = 5 }, route.Match.Headers![0].Match!.Range);
        Assert.True(route.Match.Headers[0].Invert);
        Assert.Equal("1", route.Match.QueryParameters![0].Match!.Exact);
        Assert.Equal(2, route.Action.WeightedTargets.Count);
        Assert.Equal(["server-error", "gateway-error"], route.RetryPolicy!.HttpRetryEvents);
        Assert.Equal([TcpRetryPolicyEvent.ConnectionError], route.RetryPolicy.TcpRetryEvents);
    }

    [Fact]
    public void Reads_RouteSpec_GrpcAndTcp()
    {
        var grpc = SpecJson.Deserialize<RouteSpec>("""
            {"grpcRoute": {"match": {"serviceName": "pkg.Svc", "methodName": "Do", "metadata": [{"name": "k", "match": {"suffix": "x"}}]},
                           "action": {"weightedTargets": [{"virtualNode": "a", "weight": 1}]},
                           "retryPolicy": {"maxRetries": 1, "perRetryTimeout": {"unit": "s", "value": 1},
                                           "grpcRetryEvents": ["deadline-exceeded", "resource-exhausted"]}}}
            """);
        var tcp = SpecJson.Deserialize<RouteSpec>("""
            {"tcpRoute": {"match": {"port": 9000}, "action": {"weightedTargets": [{"virtualNode": "a", "weight": 1}]},
                          "timeout": {"idle": {"unit": "s", "value": 0}}}}
            """);

        Assert.Equal([GrpcRetryPolicyEvent.DeadlineExceeded, GrpcRetryPolicyEvent.ResourceExhausted], grpc.GrpcRoute!.RetryPolicy!.GrpcRetryEvents);
        Assert.Equal("x", grpc.GrpcRoute.Match.Metadata![0].Match!.Suffix);
        Assert.Equal(9000, tcp.TcpRoute!.Match!.Port);
    }

    [Fact]
    public void Reads_VirtualGatewayAndGatewayRouteSpecs()
    {
        var gateway = SpecJson.Deserialize<VirtualGatewaySpec>("""
            {"listeners": [{"portMapping": {"port": 8443, "protocol": "http2"},
                            "connectionPool": {"http2": {"maxRequests": 10}},
                            "tls": {"mode": "STRICT", "certificate": {"acm": {"certificateArn": "arn:aws:acm:x"}}}}],
             "logging": {"accessLog": {"file": {"path": "/dev/stdout", "format": {"text": "%START_TIME%"}}}}}
            """);
        var route = SpecJson.Deserialize<GatewayRouteSpec>("""
            {"priority": 0,
             "httpRoute": {"match": {"prefix": "/api/", "hostname": {"suffix": ".example.com"}, "method": "GET"},
                           "action": {"target": {"virtualService": {"virtualServiceName": "api.local"}, "port": 80},
                                      "rewrite": {"prefix": {"value": "/v2/"}, "hostname": {"defaultTargetHostname": "DISABLED"}}}}}
            """);

        Assert.Equal(PortProtocol.Http2, gateway.Listeners[0].PortMapping.Protocol);
        Assert.Equal(10, gateway.Listeners[0].ConnectionPool!.Http2!.MaxRequests);
        Assert.Equal("%START_TIME%", gateway.Logging!.AccessLog!.File!.Format!.Text);
        Assert.Equal("api.local", route.HttpRoute!.Action.Target.VirtualService.VirtualServiceName);
        Assert.Equal(DefaultGatewayRouteRewrite.Disabled, route.HttpRoute.Action.Rewrite!.Hostname!.DefaultTargetHostname);
        Assert.Equal(".example.com", route.HttpRoute.Match.Hostname!.Suffix);
    }

    [Fact]
    public void Reads_ServiceAndRouterSpecs()
    {
        var service = SpecJson.Deserialize<VirtualServiceSpec>("""{"provider": {"virtualRouter": {"virtualRouterName": "r"}}}""");
        var router = SpecJson.Deserialize<VirtualRouterSpec>("""{"listeners": [{"portMapping": {"port": 80, "protocol": "grpc"}}]}""");

        Assert.Equal("r", service.Provider!.VirtualRouter!.VirtualRouterName);
        Assert.Equal(PortProtocol.Grpc, router.Listeners![0].PortMapping.Protocol);
    }

    [Theory]
    [InlineData("""{"listeners": [{}]}""")]
    [InlineData("""{"listeners": [{"portMapping": {"port": 80, "protocol": "udp"}}]}""")]
    [InlineData("""{"listeners": [{"portMapping": null}]}""")]
    [InlineData("""{"listeners": [{"portMapping": {"port": "80", "protocol": "http"}}]}""")]
    public void Rejects_JsonThatDoesNotFitTheShape(string json)
    {
        Assert.ThrowsAny<JsonException>(() => SpecJson.Deserialize<VirtualNodeSpec>(json));
    }

    [Fact]
    public void Equality_IsByValue_IncludingLists()
    {
        const string json = """{"backends": [{"virtualService": {"virtualServiceName": "a"}}], "listeners": [{"portMapping": {"port": 80, "protocol": "tcp"}}]}""";

        var a = SpecJson.Deserialize<VirtualNodeSpec>(json);
        var b = SpecJson.Deserialize<VirtualNodeSpec>(json);
        var c = a with { Backends = [new Backend { VirtualService = new VirtualServiceBackend { VirtualServiceName = "b" } }] };

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void RoundTrips_WireJson()
    {
        const string json = """{"httpRoute":{"action":{"weightedTargets":[{"virtualNode":"a","weight":100}]},"match":{"prefix":"/"},"timeout":{"perRequest":{"unit":"ms","value":1500}}}}""";

        var spec = SpecJson.Deserialize<RouteSpec>(json);

        Assert.Equal(json, SpecJson.Serialize(spec));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), spec.HttpRoute!.Timeout!.PerRequest!.ToTimeSpan());
    }
}
